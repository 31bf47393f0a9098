"""The resident's screens, driven through the real bot and a fake Bot API: the New request wizard (with photos,
edits and bad input), My requests, and a request's life on the card (comment, photos, cancel, clarification,
accept with a rating, return)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from tests.factories import executor, media_bytes, media_file, person, telegram_person
from ukbot.media.models import MediaFile
from ukbot.requests import services as requests
from ukbot.requests.models import Attachment, Comment, Request
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)


def t(language: str, msgid: str) -> str:
    """A bot text as the person sees it in ``language`` (stays right when the catalogues are filled)."""
    with translation.override(language):
        return gettext(msgid)


def said(replies: list) -> list:
    """The new messages among replies (taps also take the buttons off the message they answer)."""
    return [reply for reply in replies if reply.method == "sendMessage"]


def _home(account_id: int, *, number: str = "12", address: str = "ул. Шахрисабз, 5") -> int:
    """An apartment the person has an approved link to; return its id."""
    yard = users.yard_create(name=f"ЖК test {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address=address)
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number=number).pk
    link = users.apartment_link_request(account_id=account_id, apartment_id=apartment, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))
    return apartment


def _resident(bot, telegram_id: int, language: str, name: str = "Anna"):
    account = telegram_person("applicant", telegram_id, language=language)
    apartment = _home(account)
    return account, apartment, bot.person(telegram_id, name, language_code=language)


def _filed(account: int, description: str = "Leak under the sink") -> str:
    return requests.request_create(
        applicant_id=account, category="plumbing", description=description, source="bot"
    ).number


def _work_done(number: str) -> tuple[int, int]:
    """A manager assigns a plumber, who starts and completes with a photo; the manager confirms the work."""
    manager, plumber = person("manager"), executor("plumber")
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    requests.request_complete(number=number, actor_id=plumber, photos=[media_file(plumber)], comment="Washer replaced")
    requests.request_move(number=number, to_status="confirmed", actor_kind="manager", actor_id=manager)
    return manager, plumber


def _to_summary(resident, language: str, *, description: str = "Кран течёт <b>сильно</b>") -> list:
    """Walk the wizard with one photo up to the summary; return the summary replies."""
    resident.send(t(language, "📝 New request"))
    resident.tap(t(language, "Plumbing"))
    resident.tap(t(language, "high"))
    resident.tap("Шахрисабз")
    resident.send(description)
    resident.photo(media_bytes("jpeg"))
    resident.tap(t(language, "✅ Done"))
    return said(resident.tap(t(language, "Any time")))


def test_a_request_with_two_photos_from_start_to_a_rating_in_russian(bot):
    account, apartment, anna = _resident(bot, 5101, "ru", "Анна")

    [ask] = anna.send(t("ru", "📝 New request"))
    assert ask.text == t("ru", "What is the problem about? Choose a category.")
    assert len(ask.buttons) == 11 and "Сантехника" in ask.buttons
    [urgency] = said(anna.tap("Сантехника"))
    assert "🔴" in urgency.text and len(urgency.buttons) == 4
    [address] = said(anna.tap(t("ru", "critical")))
    home = t("ru", "{address}, apt. {number}").format(address="ул. Шахрисабз, 5", number="12")
    assert address.buttons == [home, t("ru", "✏️ Other address")]
    [describe] = said(anna.tap("Шахрисабз"))
    assert describe.text == t("ru", "Describe the problem in a few words: what happened and where exactly.")
    [photos] = anna.send("Течёт стояк в ванной <b>срочно</b>")
    assert photos.buttons == [t("ru", "Skip")]
    [first] = said(anna.photo(media_bytes("jpeg")))  # and Skip goes from the question
    [second] = said(anna.photo(media_bytes("png")))
    with translation.override("ru"):
        from django.utils.translation import ngettext

        assert first.text == ngettext(
            "Got {count} photo. Send more, or press Done.", "Got {count} photos. Send more, or press Done.", 1
        ).format(count=1)
        assert second.text == ngettext(
            "Got {count} photo. Send more, or press Done.", "Got {count} photos. Send more, or press Done.", 2
        ).format(count=2)
    [visit] = said(anna.tap(t("ru", "✅ Done")))
    assert t("ru", "Any time") in visit.buttons and t("ru", "Tomorrow morning (9–12)") in visit.buttons
    [summary] = said(anna.tap(t("ru", "Tomorrow morning (9–12)")))
    assert "&lt;b&gt;срочно&lt;/b&gt;" in summary.text and "<b>срочно</b>" not in summary.text
    assert f"{t('ru', 'Photos')}: 2" in summary.text
    assert summary.buttons == [t("ru", "✅ Confirm"), t("ru", "✏️ Edit")]

    done = said(anna.tap(t("ru", "✅ Confirm")))
    request = Request.objects.get(applicant_id=account)
    assert request.number in done[-1].text
    assert (request.category, request.urgency, request.source) == ("plumbing", "critical", "bot")
    assert request.apartment_id == apartment and "Шахрисабз" in request.address
    assert request.description == "Течёт стояк в ванной <b>срочно</b>"
    zone = ZoneInfo(settings.TIME_ZONE)
    tomorrow = timezone.now().astimezone(zone).date() + timedelta(days=1)
    assert request.visit_from == datetime.combine(tomorrow, time(9), zone)
    assert request.visit_to == datetime.combine(tomorrow, time(12), zone)
    assert sorted(Attachment.objects.filter(request=request).values_list("kind", flat=True)) == ["before", "before"]

    # the work is done and confirmed; the "work done" notification's Accept button starts the rating
    _work_done(request.number)
    [stars] = anna.press(f"req:accept:{request.number}")
    assert stars.buttons == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    [feedback] = said(anna.tap("4 ⭐"))
    assert feedback.buttons == [t("ru", "Skip")]
    [thanks] = anna.send("Спасибо, всё <i>сухо</i>")
    assert request.number in thanks.text and "★★★★☆" in thanks.text
    request.refresh_from_db()
    assert (request.status, request.rating, request.feedback) == ("accepted", 4, "Спасибо, всё <i>сухо</i>")
    # the card of an accepted, rated request offers a comment only
    [card] = anna.press(f"req:open:{request.number}")
    assert card.buttons == [t("ru", "💬 Comment")]


def test_the_notification_of_done_work_reaches_the_resident_with_accept_and_return(bot):
    from ukbot.core.events.relay import drain
    from ukbot.notifications.services import delivery

    account, _apartment, anna = _resident(bot, 5102, "en")
    number = _filed(account)
    _work_done(number)
    drain(max_seconds=10)
    delivery.deliver_due(max_seconds=5)
    datas = [
        button.get("callback_data")
        for reply in bot.shown_to(anna)
        for row in reply.markup.get("inline_keyboard", [])
        for button in row
    ]
    assert f"req:accept:{number}" in datas and f"req:return:{number}" in datas


def test_a_return_with_a_reason_and_a_photo_in_english(bot):
    account, _apartment, anna = _resident(bot, 5103, "en")
    number = _filed(account)
    _work_done(number)

    [card] = anna.press(f"req:open:{number}")
    assert card.buttons == ["⭐ Accept", "↩️ Return", "💬 Comment", "📎 Add photo"]
    [ask] = said(anna.tap("↩️ Return"))
    assert ask.text == f"What is wrong with the work on request {number}? Please describe it."
    [photos] = anna.send("Still drips <at night>")
    assert (photos.text, photos.buttons) == ("You can send photos showing the problem, or press Skip.", ["Skip"])
    [hint] = anna.send("and more")  # text where a photo is expected
    assert hint.text == "Send a photo, or press Skip."
    [got] = said(anna.photo(media_bytes("jpeg")))
    assert (got.text, got.buttons) == ("Got 1 photo. Send more, or press Done.", ["✅ Done (1)"])
    done = said(anna.tap("✅ Done"))
    assert done[-1].text == f"↩️ Request {number} is returned to work. We will tell you when it is fixed."
    request = Request.objects.get(pk=number)
    assert request.status == "returned"
    assert request.history.filter(to_status="returned").get().reason == "Still drips <at night>"
    assert list(Attachment.objects.filter(request=request, kind="return").values_list("added_by", flat=True)) == [
        account
    ]


def test_a_comment_a_photo_and_cancelling_from_the_card_in_uzbek(bot):
    account, _apartment, aziz = _resident(bot, 5104, "uz", "Aziz")
    number = _filed(account)

    [listing] = aziz.send(t("uz", "📋 My requests"))
    assert number in listing.text and "🆕" in listing.text
    [card] = said(aziz.tap(number))
    assert t("uz", "✖️ Cancel request") in card.buttons
    aziz.tap(t("uz", "💬 Comment"))
    [added] = aziz.send("Men 18:00 dan keyin uydaman")
    assert number in added.text
    assert list(Comment.objects.filter(request_id=number).values_list("text", "author_kind")) == [
        ("Men 18:00 dan keyin uydaman", "applicant")
    ]

    aziz.press(f"req:photo:{number}")
    aziz.document(media_bytes("pdf"), name="akt.pdf")
    aziz.photo(media_bytes("jpeg"))
    aziz.tap(t("uz", "✅ Done"))
    kinds = sorted(Attachment.objects.filter(request_id=number).values_list("kind", flat=True))
    assert kinds == ["before", "document"]

    [confirm] = said(aziz.tap(t("uz", "✖️ Cancel request"), on=card))
    assert confirm.buttons == [t("uz", "Yes, cancel it"), t("uz", "No")]
    yes = confirm.data_of(t("uz", "Yes, cancel it"))
    aziz.press(yes, message_id=confirm.message_id)
    assert Request.objects.get(pk=number).status == "cancelled"
    aziz.press(yes, message_id=confirm.message_id)  # a second tap: nothing more happens
    assert bot.fake.calls("answerCallbackQuery")[-1].params.get("text") == t("uz", "This button is no longer active.")
    assert Request.objects.get(pk=number).history.filter(to_status="cancelled").count() == 1


def test_cancelling_work_in_hands_is_refused_with_a_reason(bot):
    account, _apartment, anna = _resident(bot, 5105, "en")
    number = _filed(account)
    manager, plumber = person("manager"), executor("plumber")
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    [card] = anna.press(f"req:open:{number}")
    assert "✖️ Cancel request" not in card.buttons
    [refused] = anna.press(f"req:cancel:{number}")  # an old button
    assert refused.text.startswith(f"Request {number} is already being worked on")
    assert Request.objects.get(pk=number).status == "in_progress"


def test_answering_a_managers_question(bot):
    account, _apartment, anna = _resident(bot, 5106, "en")
    number = _filed(account)
    manager = person("manager")
    requests.request_move(
        number=number, to_status="clarification", actor_kind="manager", actor_id=manager, reason="Which <room>?"
    )
    [card] = anna.press(f"req:open:{number}")
    assert card.buttons[0] == "💬 Answer the question"
    [ask] = said(anna.tap("💬 Answer the question"))
    assert "Which &lt;room&gt;?" in ask.text
    [thanks] = anna.send("The kitchen")
    assert thanks.text == f"Thank you! Your answer is passed on; request {number} goes on."
    request = Request.objects.get(pk=number)
    assert request.status == "new"
    assert list(Comment.objects.filter(request=request).values_list("text", flat=True)) == ["The kitchen"]
    # the question is answered: the old Answer button says so
    [late] = anna.press(f"req:answer:{number}")
    assert late.text == f"No question is waiting for your answer on request {number}."


def test_bad_input_in_the_wizard_and_a_double_tap_on_confirm(bot):
    account, _apartment, anna = _resident(bot, 5107, "en")
    anna.send("📝 New request")
    [hint] = anna.send("Plumbing")  # typed instead of pressed
    assert hint.text == "Choose a category with the buttons above, or /cancel."
    anna.tap("Plumbing")
    anna.tap("medium")
    anna.tap("Шахрисабз")
    [hint] = anna.photo(media_bytes("jpeg"))  # a photo as the description
    assert hint.text == "Describe the problem in words. You can send photos at the next step."
    [empty] = anna.send("   ")
    assert empty.text == "The description is empty. Please describe the problem in a few words."
    [long] = anna.send("x" * 10_000)
    assert long.text == "The description is too long (10000 characters). Please keep it under 4000."
    [sticker] = anna.sticker()
    assert sticker.text == "Describe the problem in words. You can send photos at the next step."
    anna.send("Water on the floor")
    [hint] = anna.send("here is the photo")  # text where a photo is expected
    assert hint.text == "Send a photo, or press Skip."
    [refused] = anna.photo(media_bytes("jpeg"), size=25 * 1024 * 1024)
    assert refused.text == "This file is too large. Please send a file under 20 MB."
    anna.tap("Skip")
    [summary] = said(anna.tap("Any time"))
    assert "Photos: 0" in summary.text and "Visit: Any time" in summary.text
    confirm = summary.data_of("✅ Confirm")
    anna.press(confirm, message_id=summary.message_id)
    anna.press(confirm, message_id=summary.message_id)  # the double tap
    assert Request.objects.filter(applicant_id=account).count() == 1
    assert bot.fake.calls("answerCallbackQuery")[-1].params.get("text") == "This button is no longer active."


def test_editing_a_field_from_the_summary(bot):
    account, _apartment, anna = _resident(bot, 5108, "en")
    summary = _to_summary(anna, "en", description="Dripping tap")[-1]
    assert "Category: Plumbing" in summary.text
    [fields] = said(anna.tap("✏️ Edit", on=summary))
    assert "Description" in fields.buttons and "Visit time" in fields.buttons
    anna.tap("Category", on=fields)
    [again] = said(anna.tap("Heating"))
    assert "Category: Heating" in again.text and "Dripping tap" in again.text
    anna.tap("✏️ Edit", on=again)
    anna.tap("Description")
    [again] = anna.send("Radiator is cold")
    assert "Radiator is cold" in again.text and "Photos: 1" in again.text
    anna.tap("✅ Confirm", on=again)
    request = Request.objects.get(applicant_id=account)
    assert (request.category, request.urgency, request.description) == ("heating", "high", "Radiator is cold")
    assert request.attachments.count() == 1


def test_without_a_saved_apartment_the_address_is_typed(bot):
    account = telegram_person("applicant", 5109, language="en")
    anna = bot.person(5109, "Anna", language_code="en")
    anna.send("📝 New request")
    anna.tap("Elevator")
    [ask] = said(anna.tap("low"))
    assert ask.text == "Where is the problem? Type the address (street, building, apartment)."
    anna.send("Navoi 12, the <lift> in entrance 3")
    anna.send("It stops between floors")
    anna.tap("Skip")
    [summary] = said(anna.tap("Any time"))
    assert "Address: Navoi 12, the &lt;lift&gt; in entrance 3" in summary.text
    anna.tap("✅ Confirm")
    request = Request.objects.get(applicant_id=account)
    assert (request.address, request.apartment_id) == ("Navoi 12, the <lift> in entrance 3", None)


def test_a_second_report_is_warned_about_as_a_duplicate(bot):
    account, _apartment, anna = _resident(bot, 5110, "en")
    first = _filed(account)
    _to_summary(anna, "en")
    done = said(anna.tap("✅ Confirm"))[-1]
    assert f"A similar request from your apartment is already open: <b>{first}</b>" in done.text


def test_my_requests_are_paged_and_someone_elses_request_is_not_found(bot):
    account, _apartment, anna = _resident(bot, 5111, "en")
    numbers = [_filed(account, f"Problem {i}") for i in range(7)]
    [page] = anna.send("📋 My requests")
    assert page.text.startswith("<b>My requests</b> (page 1 of 2)")
    assert [b for b in page.buttons if b.startswith("Open")] == [f"Open {n}" for n in reversed(numbers[2:])]
    [second] = anna.tap("▶️", on=page)
    assert second.method == "editMessageText" and "(page 2 of 2)" in second.text
    assert [b for b in second.buttons if b.startswith("Open")] == [f"Open {n}" for n in reversed(numbers[:2])]

    other = telegram_person("applicant", 5112, language="en")
    foreign = _filed(other, "Not Anna's")
    for action in ("open", "comment", "accept", "return", "cancel"):
        [reply] = anna.press(f"req:{action}:{foreign}")
        assert reply.text == f"Request {foreign} was not found.", action
    assert not Comment.objects.filter(request_id=foreign).exists()


def test_cancel_leaves_the_wizard_from_any_step(bot):
    account, _apartment, anna = _resident(bot, 5113, "en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    [cancelled] = anna.send("/cancel")
    assert cancelled.text == "Cancelled."
    assert anna.tap("critical") == []  # the old urgency button
    assert bot.fake.calls("answerCallbackQuery")[-1].params.get("text") == "This button is no longer active."
    assert not Request.objects.filter(applicant_id=account).exists()


def test_a_photo_with_a_caption_is_the_description_and_a_menu_button_leaves_the_wizard(bot):
    account, _apartment, anna = _resident(bot, 5114, "en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    anna.tap("low")
    anna.tap("Шахрисабз")
    [got] = anna.photo(media_bytes("jpeg"), caption="The pipe <under> the sink")
    assert got.text == "Got 1 photo. Send more, or press Done."
    anna.photo(media_bytes("jpeg"))
    anna.tap("✅ Done")
    [summary] = said(anna.tap("Any time"))
    assert "Photos: 2" in summary.text and "The pipe &lt;under&gt; the sink" in summary.text

    # a menu button in the middle of a step opens that screen instead of being taken as the description
    anna.send("📝 New request")
    anna.tap("Heating")
    anna.tap("low")
    anna.tap("Шахрисабз")
    [listing] = anna.send("📋 My requests")
    assert listing.text == "You have no requests yet. Press “📝 New request” to report a problem."
    [reply] = anna.send("Cold radiators")  # the wizard is over
    assert reply.text == "I did not understand that. Use the menu below, or /help."
    assert not Request.objects.filter(applicant_id=account).exists()


def test_rating_work_a_manager_accepted_on_the_residents_behalf(bot):
    account, _apartment, anna = _resident(bot, 5115, "en")
    number = _filed(account)
    manager, _plumber = _work_done(number)
    requests.request_accept(number=number, actor_kind="manager", actor_id=manager, reason="Confirmed by phone")
    [card] = anna.press(f"req:open:{number}")
    assert card.buttons == ["⭐ Rate", "💬 Comment"]
    [stars] = said(anna.tap("⭐ Rate"))
    assert stars.text == f"How would you rate the work on request {number}?"
    anna.tap("5 ⭐")
    [thanks] = said(anna.tap("Skip"))
    assert "★★★★★" in thanks.text
    request = Request.objects.get(pk=number)
    assert (request.rating, request.feedback) == (5, "")
    [late] = anna.press(f"req:rate:{number}")  # rated once
    assert late.text == f"Request {number} cannot be rated now."


def test_a_refused_photo_at_confirm_leaves_no_half_request_and_the_summary_stays(bot):
    account, _apartment, anna = _resident(bot, 5116, "en")
    other = _filed(account, "An earlier problem")
    summary = _to_summary(anna, "en")[-1]
    # meanwhile the wizard's photo gets attached elsewhere (say, from the web), so it cannot be attached again
    photo = str(MediaFile.objects.filter(owner_id=account).latest("created_at").pk)
    requests.attachments_add(number=other, media_ids=[photo], kind="before", actor_id=account, actor_kind="applicant")
    replies = said(anna.tap("✅ Confirm", on=summary))
    assert replies[0].text == "One of your photos can no longer be used. Press Edit, then Photos, to send them again."
    assert len(replies) == 2 and replies[1].buttons == ["✅ Confirm", "✏️ Edit"]
    assert list(Request.objects.filter(applicant_id=account).values_list("number", flat=True)) == [other]
    # the person fixes it: photos again, then confirm
    anna.tap("✏️ Edit", on=replies[1])
    anna.tap("Photos")
    anna.photo(media_bytes("jpeg"))
    [again] = said(anna.tap("✅ Done"))
    assert "Photos: 1" in again.text
    anna.tap("✅ Confirm", on=again)
    assert Request.objects.filter(applicant_id=account).count() == 2


def test_another_address_is_typed_and_kept_as_written(bot):
    account, apartment, anna = _resident(bot, 5117, "en")
    anna.send("📝 New request")
    anna.tap("Cleaning")
    anna.tap("low")
    [ask] = said(anna.tap("✏️ Other address"))
    assert ask.text == "Type the address (street, building, apartment or place)."
    [long] = anna.send("x" * 301)
    assert long.text == "That address is too long. Please keep it under 300 characters."
    anna.send("The playground behind building 5")
    anna.send("Broken glass on the slide")
    anna.tap("Skip")
    [summary] = said(anna.tap("Any time"))
    assert "Address: The playground behind building 5" in summary.text
    anna.tap("✅ Confirm", on=summary)
    request = Request.objects.get(applicant_id=account)
    # the typed words are the address; the request still belongs to the resident's home (the service's rule)
    assert (request.address, request.apartment_id) == ("The playground behind building 5", apartment)


@pytest.mark.parametrize(
    ("now", "key", "window"),
    [
        ((8, 0), "today", ((0, 9, 0), (0, 21, 0))),
        ((15, 30), "today", ((0, 15, 30), (0, 21, 0))),
        ((15, 30), "tm_morning", ((1, 9, 0), (1, 12, 0))),
        ((23, 50), "tm_evening", ((1, 17, 0), (1, 21, 0))),
    ],
)
def test_visit_windows_are_in_the_company_time_zone(now, key, window):
    from bot.handlers.applicant.steps import visit_window

    zone = ZoneInfo(settings.TIME_ZONE)
    today = datetime(2026, 11, 25, *now, tzinfo=zone)
    start, end = visit_window(key, today)
    expected = [datetime.combine(today.date() + timedelta(days=d), time(h, m), zone) for d, h, m in window]
    assert [start, end] == expected
    assert visit_window("any", today) == (None, None)
