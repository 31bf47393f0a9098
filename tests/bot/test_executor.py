"""The executor in the bot, against the fake Bot API: a day's work from the shift to a completed request, the
Start work button of an assignment's notification, a claim race, live location, verification, and bad input."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from bot.i18n import in_language
from bot.menus import BUTTONS
from tests.factories import media_bytes, person, telegram_person
from ukbot.core.events.relay import drain
from ukbot.core.models import OutboxEvent
from ukbot.notifications.models import Notification
from ukbot.notifications.services import delivery
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.shifts import selectors as shifts_selectors
from ukbot.shifts import services as shifts_services
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_flood_control(settings):
    """A day's work is more than 20 updates in 10 s when a test types it; flood control has its own test."""
    settings.BOT_FLOOD_RATE = 10_000


def t(language: str, text: str, **params) -> str:
    """``text`` as the bot says it in ``language`` (so the test holds once the catalogues are filled)."""
    with translation.override(language):
        return gettext(text).format(**params)


def menu(language: str, name: str) -> str:
    return in_language(language, BUTTONS[name])


def outbox(event_type: str) -> list:
    return list(OutboxEvent.objects.filter(type=event_type).order_by("time"))


def plumbing_request(description: str = "Кран на кухне течёт") -> str:
    resident = person("applicant")
    return requests_services.request_create(
        applicant_id=resident, category="plumbing", description=description, source="bot"
    ).number


def live_move(bot, who, message_id: int, latitude: float, longitude: float):
    """The person's live location moves: Telegram sends it as an edit of the location message."""
    message = who._base({"location": {"latitude": latitude, "longitude": longitude, "live_period": 3600}})
    message["message_id"], message["edit_date"] = message_id, int(time.time())
    return bot.handle(who, {"edited_message": message})


def test_an_executors_day_in_russian(bot):
    ru = "ru"
    account = telegram_person("executor", 6001, language=ru, trades=("plumber",))
    number = plumbing_request()
    electric = requests_services.request_create(
        applicant_id=person("applicant"), category="electricity", description="Нет света в подъезде"
    ).number
    ivan = bot.person(6001, "Иван", language_code="ru")

    [off] = ivan.send(menu(ru, "pool"))
    assert off.text == t(ru, "You are off shift. Start your shift in “⏱ Shift” to see free requests.")

    [status] = ivan.send(menu(ru, "shift"))
    assert status.text == t(ru, "You are off shift.")
    [ask] = ivan.tap(t(ru, "▶️ Start shift"))
    assert ask.text == t(ru, "Share your location to start the shift, or press “Without location”.")
    share = ask.markup["keyboard"][0][0]
    assert share["request_location"] is True
    [started] = ivan.location(41.311081, 69.240562)
    shift = shifts_selectors.active_shift(executor_id=account)
    assert started.text == t(
        ru,
        "✅ Your shift ({trade}) has started at {time}.\n"
        "Free requests of your trade are in “🆓 Free requests”.\n"
        "Tip: share your live location (📎 → Location → Share live location) so the dispatcher sees where you are.",
        trade=users_public.label(field="specialization", value="plumber", language=ru),
        time=timezone.localtime(shift.actual_start).strftime("%H:%M"),
    )
    assert menu(ru, "my_tasks") in started.keyboard
    assert (str(shift.start_latitude), str(shift.start_longitude)) == ("41.311081", "69.240562")

    [pool] = ivan.send(menu(ru, "pool"))
    assert number in pool.text and electric not in pool.text
    replies = ivan.tap(t(ru, "✋ Claim"), on=pool)
    assert replies[0].text == t(
        ru, "👍 Request {number} is yours now. Press “Start work” when you begin.", number=number
    )
    assert requests_selectors.request_get(number=number).executor_id == account

    replies = ivan.tap(t(ru, "🔧 Start work"))
    assert replies[0].text == t(ru, "🔧 Work on request {number} has started.", number=number)
    assert requests_selectors.request_get(number=number).status == "in_progress"

    ivan.tap(t(ru, "📦 Request materials"))
    [bad] = ivan.send("много труб")
    assert bad.text == t(
        ru,
        "I could not read these lines:\n{lines}\nWrite each as name, quantity and unit, e.g. “Pipe 20mm 2 m”.",
        lines="• много труб",
    )
    [question] = ivan.send("Труба 2 м")
    assert question.text == t(ru, "Will you wait for the materials (the request pauses)?")
    replies = ivan.tap(t(ru, "⏸ Yes, wait for them"))
    assert "Труба — 2 м" in replies[0].text
    [material] = requests_selectors.materials_of(number=number)
    assert (material.item, material.quantity, material.unit) == ("Труба", 2, "м")
    assert requests_selectors.request_get(number=number).status == "waiting_materials"

    replies = ivan.tap(t(ru, "▶️ Resume work"))
    assert replies[0].text == t(ru, "🔧 Work on request {number} has started.", number=number)

    [ask] = ivan.tap(t(ru, "✅ Complete"))
    assert ask.text == t(ru, "Send photos of the finished work (one or more).")
    [hint] = ivan.send("готово")  # text where a photo is expected
    assert hint.text == t(ru, "Send a photo of the finished work. /cancel to stop.")
    [hint] = ivan.sticker()
    assert hint.text == t(ru, "Send a photo of the finished work. /cancel to stop.")
    [got] = ivan.photo(media_bytes("jpeg"))
    assert got.text == t(ru, "Photo {count} received. Send more or press Done.", count=1)
    [comment] = ivan.tap(t(ru, "✅ Done"))
    assert comment.text == t(ru, "Write a short comment about the work done, or press Skip.")
    [done] = ivan.send("Заменил прокладку <b>")
    assert done.text == t(
        ru, "✅ Request {number} is completed. Thank you! The manager will check the work.", number=number
    )

    request = requests_selectors.request_get(number=number)
    assert request.status == "completed"
    assert [a.kind for a in requests_selectors.attachments_of(number=number)] == ["after"]
    moves = [(h.from_status, h.to_status) for h in requests_selectors.history_of(number=number) if h.action == "moved"]
    assert moves == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "waiting_materials"),
        ("waiting_materials", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert list(requests_selectors.history_of(number=number))[-1].reason == "Заменил прокладку <b>"

    [tasks] = ivan.send(menu(ru, "my_tasks"))
    assert number not in tasks.text
    [archive] = ivan.send(menu(ru, "archive"))
    assert number in archive.text

    ivan.send(menu(ru, "shift"))
    [ask] = ivan.tap(t(ru, "🏁 End shift"))
    assert ask.text == t(ru, "Share your location to end the shift, or press “Without location”.")
    [ended] = ivan.send(t(ru, "➡️ Without location"))
    assert ended.text == t(
        ru, "🏁 Your shift has ended. You worked {hours} h {minutes} min. Thank you!", hours=0, minutes=0
    )
    assert shifts_selectors.active_shift(executor_id=account) is None
    [off] = ivan.send(menu(ru, "pool"))
    assert off.text == t(ru, "You are off shift. Start your shift in “⏱ Shift” to see free requests.")


def _deliver() -> None:
    drain(max_seconds=10)
    for _ in range(5):
        delivery.deliver_due(max_seconds=5)
        Notification.objects.filter(status="queued").update(next_attempt_at=timezone.now(), not_before=None)
        if not Notification.objects.filter(status__in=["queued", "sending"]).exists():
            break


def test_the_start_work_button_of_an_assignment_notification(bot):
    account = telegram_person("executor", 6101, language="en", trades=("plumber",))
    manager = person("manager")
    number = plumbing_request("Leaking tap")
    requests_services.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=account
    )
    olga = bot.person(6101, "Olga", language_code="en")
    _deliver()
    notice = next(r for r in bot.shown_to(olga) if any("req:start" in d for d in _datas(r)))
    replies = olga.press(notice.data_of("Start work"), message_id=notice.message_id)
    assert replies[0].text == f"🔧 Work on request {number} has started."
    assert requests_selectors.request_get(number=number).status == "in_progress"
    assert "✅ Complete" in replies[1].buttons

    # the same button again (a double tap, or an old message): said plainly, nothing moves twice
    [again, _card] = olga.press(notice.data_of("Start work"), message_id=notice.message_id)
    assert again.text == f"Request {number} is already in progress."


def _datas(reply) -> list[str]:
    return [b.get("callback_data", "") for row in reply.markup.get("inline_keyboard", []) for b in row]


def test_two_executors_claim_the_same_request_one_wins(bot):
    first = telegram_person("executor", 6201, language="en", trades=("plumber",))
    second = telegram_person("executor", 6202, language="en", trades=("plumber",))
    for account in (first, second):
        shifts_services.shift_start(executor_id=account)
    number = plumbing_request("Pipe burst")
    anna, bek = bot.person(6201, "Anna", language_code="en"), bot.person(6202, "Bek", language_code="en")
    [anna_pool] = anna.send("🆓 Free requests")
    [bek_pool] = bek.send("🆓 Free requests")
    assert number in anna_pool.text and number in bek_pool.text

    [won, _card] = anna.tap("✋ Claim", on=anna_pool)
    assert won.text == f"👍 Request {number} is yours now. Press “Start work” when you begin."
    [lost] = bek.tap("✋ Claim", on=bek_pool)
    assert lost.text == f"Sorry, request {number} has already been taken by someone else."
    assert requests_selectors.request_get(number=number).executor_id == first

    # the request is no longer Bek's to see: not in his pool, and its card is not shown to him
    [empty] = bek.send("🆓 Free requests")
    assert empty.text == "No free requests of your trade right now. Check again later."
    [hidden] = bek.press(f"req:open:{number}")
    assert hidden.text == f"Request {number} was not found."
    [refused] = bek.press(f"ex:start:{number}")
    assert refused.text == f"Request {number} was not found."
    assert requests_selectors.request_get(number=number).status == "assigned"


def test_live_location_is_published_on_shift_and_refused_politely_off_shift(bot):
    account = telegram_person("executor", 6301, language="en", trades=("plumber",))
    kamol = bot.person(6301, "Kamol", language_code="en")

    [refused] = kamol.location(41.3, 69.2, live_period=3600)
    assert refused.text == "You are off shift, so your location is not shared. Start your shift in “⏱ Shift” first."
    [once] = live_move(bot, kamol, 1, 41.301, 69.201)
    assert once.text == refused.text
    assert live_move(bot, kamol, 1, 41.302, 69.202) == []  # a live location repeats: told once, then quiet
    assert outbox("executor.location_updated") == []

    shift = shifts_services.shift_start(executor_id=account)
    assert live_move(bot, kamol, 1, 41.311, 69.281) == []  # recorded quietly
    [thanks] = kamol.location(41.312, 69.282, live_period=3600)
    assert thanks.text == "📍 Thanks! The dispatcher sees where you are while you are on shift."
    [event] = outbox("executor.location_updated")  # the second came within 30 s of the first
    assert event.subject == str(shift.pk)
    assert event.data["executor_id"] == account
    assert (event.data["latitude"], event.data["longitude"]) == ("41.311000", "69.281000")


def test_verification_documents_are_submitted_then_added(bot):
    account = telegram_person("executor", 6401, language="en", trades=("plumber",))
    dilshod = bot.person(6401, "Dilshod", language_code="en")

    [screen] = dilshod.send("🪪 Verification")
    assert screen.text == "You have not applied for verification yet.\n\nChoose the specialization to apply for:"
    [ask] = dilshod.tap("Electrician")
    assert (ask.text, ask.buttons) == ("Send photos of your documents (ID, certificates), one or more.", [])
    [hint] = dilshod.send("my passport")
    assert hint.text == "Send a photo of a document. /cancel to stop."
    [first] = dilshod.photo(media_bytes("jpeg"))
    assert (first.text, first.buttons) == ("Document 1 received. Send more or press Done.", ["✅ Done (1)"])
    dilshod.document(media_bytes("pdf"), name="diploma.pdf")
    [status] = dilshod.tap("✅ Done")
    assert status.text == "🕓 Your application (Electrician) is waiting for review. Documents: 2."
    assert dilshod.tap("✅ Done", on=first) == []  # an old Done: the dialog is over, nothing is filed twice
    [application] = users_selectors.verification_list().filter(account_id=account)
    assert (application.specialization, application.status, len(application.documents)) == ("electrician", "pending", 2)

    [screen] = dilshod.send("🪪 Verification")
    assert screen.text == "🕓 Your application (Electrician) is waiting for review. Documents: 2."
    dilshod.tap("➕ Add documents")
    dilshod.photo(media_bytes("png"))
    [status] = dilshod.tap("✅ Done")
    assert status.text == "🕓 Your application (Electrician) is waiting for review. Documents: 3."
    assert users_selectors.verification_list().filter(account_id=account).count() == 1


def test_start_without_a_trade_or_twice_and_odd_input(bot):
    telegram_person("executor", 6501, language="en")  # no specialization yet
    sam = bot.person(6501, "Sam", language_code="en")
    sam.send("⏱ Shift")
    [no_trade] = sam.tap("▶️ Start shift")
    assert no_trade.text == "You have no specialization yet. Apply in “🪪 Verification” first."
    [sticker] = sam.sticker()
    assert sticker.text == "Nice sticker! To do something, use the menu below."
    [tasks] = sam.send("🧰 My tasks")
    assert tasks.text.startswith("You have no tasks now.")

    account = telegram_person("executor", 6502, language="en", trades=("plumber", "electrician"))
    lola = bot.person(6502, "Lola", language_code="en")
    lola.send("⏱ Shift")
    [which] = lola.tap("▶️ Start shift")
    assert which.text == "Which trade is this shift in?" and which.buttons == ["Electrician", "Plumber"]
    lola.tap("Electrician")
    [hint] = lola.send("here I am")
    assert hint.text == "Share your location with the button below, or press “Without location”."
    [started] = lola.send("➡️ Without location")
    assert started.text.startswith("✅ Your shift (Electrician) has started at ")
    assert shifts_selectors.active_shift(executor_id=account).specialization == "electrician"
    [on] = lola.send("⏱ Shift")
    assert on.text.startswith("🟢 You are on shift (Electrician) since ")
    [already] = lola.tap("▶️ Start shift")  # the button of the first, old screen
    assert already.text == "You are already on shift."


def test_material_lines_are_read_as_name_quantity_unit():
    from bot.handlers.executor.materials import parse_materials

    with translation.override("en"):
        items, bad = parse_materials("Pipe 20mm 2 m\n  Tap   1 \n\nCement 2,5 kg\nsome pipes")
    assert items == [
        {"item": "Pipe 20mm", "quantity": "2", "unit": "m"},
        {"item": "Tap", "quantity": "1", "unit": "pcs"},
        {"item": "Cement", "quantity": "2.5", "unit": "kg"},
    ]
    assert bad == ["some pipes"]


def test_materials_for_an_assigned_request_in_uzbek_do_not_ask_to_wait(bot):
    uz = "uz"
    account = telegram_person("executor", 6601, language=uz, trades=("plumber",))
    number = plumbing_request("Quvur oqyapti")
    requests_services.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=person("manager"), executor_id=account
    )
    aziz = bot.person(6601, "Aziz", language_code="uz")
    [tasks] = aziz.send(menu(uz, "my_tasks"))
    assert number in tasks.text
    [card] = aziz.tap(number, on=tasks)
    assert t(uz, "🔧 Start work") in card.buttons
    [ask] = aziz.tap(t(uz, "📦 Request materials"))
    assert ask.text == t(
        uz,
        "Write the materials for {number}, one per line: name, quantity and unit.\n"
        "For example:\nPipe 20mm 2 m\nTap 1 pcs",
        number=number,
    )
    [said, _card] = aziz.send("Kran 1 dona")
    assert said.text == t(uz, "📦 Materials requested for {number}:\n{items}", number=number, items="• Kran — 1 dona")
    assert requests_selectors.request_get(number=number).status == "assigned"
    assert [m.item for m in requests_selectors.materials_of(number=number)] == ["Kran"]
    assert outbox("request.materials_requested")[0].data["materials_list"][0]["unit"] == "dona"
