"""Every photo step of the bot, through the real bot and the fake Bot API: the question before the first photo names
only the buttons it shows, an album (photos sent together) is answered once and every photo of it kept, Done shows
the total, and past the step's limit an album is refused once."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

from tests.factories import executor, media_bytes, media_file, person, telegram_person
from ukbot.media.models import MediaFile
from ukbot.requests import services as requests
from ukbot.requests.models import Attachment, Request
from ukbot.users import services as users
from ukbot.users.models import VerificationApplication

pytestmark = pytest.mark.django_db(transaction=True)

PHOTOS_ADDED = (
    "📷 {count} photo added. Send more, or press Done.",
    "📷 {count} photos added. Send more, or press Done.",
)
DOCUMENTS_ADDED = (
    "📄 {count} document added. Send more, or press Done.",
    "📄 {count} documents added. Send more, or press Done.",
)


def t(language: str, msgid: str, **params) -> str:
    with translation.override(language):
        return gettext(msgid).format(**params)


def tn(language: str, forms: tuple[str, str], count: int, **params) -> str:
    with translation.override(language):
        return ngettext(*forms, count).format(count=count, **params)


def sent(replies: list) -> list:
    return [reply for reply in replies if reply.method == "sendMessage"]


def send_album(who, language: str, size: int = 3, *, added: tuple[str, str] = PHOTOS_ADDED):
    """Send an album of ``size`` photos; check it is answered once (one message, then edits of it, each with the
    count so far and Done with it); return that answer."""
    group = f"album-{uuid.uuid4().hex[:8]}"
    first = who.photo(media_bytes("jpeg"), media_group_id=group)
    [answer] = sent(first)
    assert (answer.text, answer.buttons) == (tn(language, added, 1), [t(language, "✅ Done ({count})", count=1)])
    for count in range(2, size + 1):
        [raised] = who.photo(media_bytes("png"), media_group_id=group)
        assert (raised.method, raised.message_id) == ("editMessageText", answer.message_id)
        assert (raised.text, raised.buttons) == (
            tn(language, added, count),
            [t(language, "✅ Done ({count})", count=count)],
        )
    return answer


def uploads_of(account: int) -> set[str]:
    return {str(pk) for pk in MediaFile.objects.filter(owner_id=account).values_list("pk", flat=True)}


def attachments(number: str, kind: str) -> set[str]:
    return {
        str(pk) for pk in Attachment.objects.filter(request_id=number, kind=kind).values_list("media_id", flat=True)
    }


def _home(account: int) -> None:
    yard = users.yard_create(name=f"ЖК {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="ул. Навои, 7")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="3").pk
    link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))


def _filed(account: int) -> str:
    return requests.request_create(
        applicant_id=account, category="plumbing", description="Кран течёт", source="bot"
    ).number


def _in_progress(number: str, plumber: int) -> None:
    manager = person("manager")
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)


def _work_done(number: str) -> None:
    plumber = executor("plumber")
    _in_progress(number, plumber)
    requests.request_complete(number=number, actor_id=plumber, photos=[media_file(plumber)], comment="Washer replaced")
    requests.request_move(number=number, to_status="confirmed", actor_kind="manager", actor_id=person("manager"))


# --- the resident ------------------------------------------------------------------------------------------------


def test_the_new_request_takes_an_album_once_and_files_every_photo(bot):
    account = telegram_person("applicant", 7401, language="en")
    _home(account)
    anna = bot.person(7401, "Anna", language_code="en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    anna.tap("medium")
    anna.tap("Навои")
    [ask] = anna.send("Течёт кран")
    assert (ask.text, ask.buttons) == (
        "Send photos of the problem, if you have any (one or several), or press Skip.",
        ["Skip"],
    )

    send_album(anna, "en")
    [visit] = sent(anna.tap("✅ Done (3)"))
    [summary] = sent(anna.tap("Any time", on=visit))
    assert "Photos: 3" in summary.text
    anna.tap("✅ Confirm")
    number = Request.objects.get(applicant_id=account).number
    assert attachments(number, "before") == uploads_of(account) and len(uploads_of(account)) == 3


def test_photos_added_from_the_card_take_an_album_once(bot):
    account = telegram_person("applicant", 7402, language="uz")
    number = _filed(account)
    aziz = bot.person(7402, "Aziz", language_code="uz")

    [ask] = aziz.press(f"req:photo:{number}")
    assert (ask.text, ask.buttons) == (
        t("uz", "Send the photos for request {number} (one or more), or /cancel.", number=number),
        [],
    )
    [hint] = aziz.send("rasm")
    assert hint.text == t("uz", "Send a photo, or /cancel.")

    send_album(aziz, "uz")
    [hint] = aziz.send("yana")
    assert hint.text == t("uz", "Send a photo, or press Done.")
    [added] = sent(aziz.tap(t("uz", "✅ Done ({count})", count=3)))
    assert added.text == tn(
        "uz",
        ("📎 {count} file is added to request {number}.", "📎 {count} files are added to request {number}."),
        3,
        number=number,
    )
    assert attachments(number, "before") == uploads_of(account) and len(uploads_of(account)) == 3


def test_the_photos_of_a_return_take_an_album_once(bot):
    account = telegram_person("applicant", 7403, language="ru")
    number = _filed(account)
    _work_done(number)
    anna = bot.person(7403, "Анна", language_code="ru")
    anna.press(f"req:return:{number}")

    [ask] = anna.send("Всё ещё капает")
    assert (ask.text, ask.buttons) == (
        t("ru", "You can send photos showing the problem, or press Skip."),
        [t("ru", "Skip")],
    )
    [hint] = anna.send("фото позже")
    assert hint.text == t("ru", "Send a photo, or press Skip.")

    first = anna.photo(media_bytes("jpeg"), media_group_id="return-1")
    [skip_gone] = [reply for reply in first if reply.method == "editMessageReplyMarkup"]
    assert (skip_gone.message_id, skip_gone.buttons) == (ask.message_id, [])
    [answer] = sent(first)
    for count in (2, 3):
        [raised] = anna.photo(media_bytes("png"), media_group_id="return-1")
        assert (raised.method, raised.message_id) == ("editMessageText", answer.message_id)
        assert (raised.text, raised.buttons) == (
            tn("ru", PHOTOS_ADDED, count),
            [t("ru", "✅ Done ({count})", count=count)],
        )

    anna.tap(t("ru", "✅ Done ({count})", count=3))
    assert Request.objects.get(pk=number).status == "returned"
    assert attachments(number, "return") == uploads_of(account) and len(uploads_of(account)) == 3


def test_a_return_without_photos_is_skipped(bot):
    account = telegram_person("applicant", 7404, language="en")
    number = _filed(account)
    _work_done(number)
    anna = bot.person(7404, "Anna", language_code="en")
    anna.press(f"req:return:{number}")
    anna.send("Still drips")
    [returned] = sent(anna.tap("Skip"))
    assert returned.text == f"↩️ Request {number} is returned to work. We will tell you when it is fixed."
    assert not Attachment.objects.filter(request_id=number, kind="return").exists()


# --- the executor ------------------------------------------------------------------------------------------------


def test_the_completion_photos_take_an_album_once(bot):
    plumber = telegram_person("executor", 7411, language="en", trades=("plumber",))
    number = _filed(person("applicant"))
    _in_progress(number, plumber)
    ivan = bot.person(7411, "Ivan", language_code="en")

    [ask] = ivan.press(f"ex:done:{number}")
    assert (ask.text, ask.buttons) == ("Send photos of the finished work (one or more).", [])
    send_album(ivan, "en")
    [comment] = ivan.tap("✅ Done (3)")
    assert comment.text == "Write a short comment about the work done, or press Skip."
    ivan.tap("⏭ Skip")
    assert Request.objects.get(pk=number).status == "completed"
    assert attachments(number, "after") == uploads_of(plumber) and len(uploads_of(plumber)) == 3


def test_the_verification_documents_take_an_album_once(bot):
    account = telegram_person("executor", 7412, language="ru")
    dilshod = bot.person(7412, "Дильшод", language_code="ru")
    dilshod.send(t("ru", "🪪 Verification"))

    [ask] = dilshod.tap(t("ru", "Electrician"))
    assert (ask.text, ask.buttons) == (t("ru", "Send photos of your documents (ID, certificates), one or more."), [])
    [hint] = dilshod.send("паспорт")
    assert hint.text == t("ru", "Send a photo of a document. /cancel to stop.")

    send_album(dilshod, "ru", added=DOCUMENTS_ADDED)
    [hint] = dilshod.send("ещё")
    assert hint.text == t("ru", "Send a photo of a document, or press Done. /cancel to stop.")
    [status] = dilshod.tap(t("ru", "✅ Done ({count})", count=3))
    assert status.text.endswith(": 3.")  # "… waiting for review. Documents: 3."
    [application] = VerificationApplication.objects.filter(account_id=account)
    assert set(application.documents) == uploads_of(account) and len(application.documents) == 3


def test_an_album_goes_on_counting_across_a_restart_of_the_bot(bot):
    telegram_person("executor", 7413, language="en")
    lola = bot.person(7413, "Lola", language_code="en")
    lola.send("🪪 Verification")
    lola.tap("Plumber")
    [answer] = lola.photo(media_bytes("jpeg"), media_group_id="docs-r")
    bot.restart()
    [raised] = lola.photo(media_bytes("png"), media_group_id="docs-r")
    assert (raised.method, raised.message_id) == ("editMessageText", answer.message_id)
    assert (raised.text, raised.buttons) == ("📄 2 documents added. Send more, or press Done.", ["✅ Done (2)"])


# --- the inspector -----------------------------------------------------------------------------------------------


def _report_to_photos(who, language: str) -> list:
    yard = users.yard_create(name=f"Chilonzor-{uuid.uuid4().hex[:4]}")
    users.building_create(yard_id=yard.pk, address="Bunyodkor 12")
    who.send(t(language, "🔎 Report a problem"))
    who.tap("Bunyodkor 12")
    who.tap(t(language, "⏭ Skip"))
    who.tap(t(language, "Elevator"))
    return who.send("Лифт не закрывается")


def test_the_inspectors_report_takes_an_album_once(bot):
    account = telegram_person("inspector", 7421, language="uz")
    sherzod = bot.person(7421, "Sherzod", language_code="uz")
    [ask] = _report_to_photos(sherzod, "uz")
    assert (ask.text, ask.buttons) == (
        t("uz", "Send photos of the problem (one or more), or press Skip."),
        [t("uz", "⏭ Skip")],
    )
    [hint] = sherzod.sticker()
    assert hint.text == t("uz", "Send a photo of the problem, or press Skip.")

    send_album(sherzod, "uz")
    [hint] = sherzod.sticker()
    assert hint.text == t("uz", "Send a photo of the problem, or press Done.")
    sherzod.tap(t("uz", "✅ Done ({count})", count=3))
    number = Request.objects.get(applicant_id=account).number
    assert attachments(number, "before") == uploads_of(account) and len(uploads_of(account)) == 3


# --- past the limit ----------------------------------------------------------------------------------------------


def test_past_the_limit_an_album_is_refused_once(bot):
    plumber = telegram_person("executor", 7431, language="en", trades=("plumber",))
    number = _filed(person("applicant"))
    _in_progress(number, plumber)
    ivan = bot.person(7431, "Ivan", language_code="en")
    ivan.press(f"ex:done:{number}")

    answer = send_album(ivan, "en", size=10)  # the most a completion takes
    said = [ivan.photo(media_bytes("jpeg"), media_group_id="too-many") for _ in range(3)]
    assert [[reply.text for reply in replies] for replies in said] == [
        ["That is the most I can take. Press Done."],
        [],
        [],
    ]
    [refused] = ivan.photo(media_bytes("jpeg"))  # a photo on its own is told again
    assert refused.text == "That is the most I can take. Press Done."

    assert ivan.last_with_button("✅ Done").message_id == answer.message_id  # the album's answer keeps the one Done
    ivan.tap("✅ Done (10)")
    ivan.tap("⏭ Skip")
    assert len(attachments(number, "after")) == 10


def test_past_the_limit_of_a_requests_files_an_album_is_refused_once(bot):
    account = telegram_person("applicant", 7432, language="en")
    number = _filed(account)
    anna = bot.person(7432, "Anna", language_code="en")
    anna.press(f"req:photo:{number}")

    send_album(anna, "en", size=30)  # the most a request holds
    said = [anna.photo(media_bytes("jpeg"), media_group_id="too-many") for _ in range(2)]
    assert [[reply.text for reply in replies] for replies in said] == [
        ["That is as many files as a request can hold (30). Press Done."],
        [],
    ]
    anna.tap("✅ Done (30)")
    assert len(attachments(number, "before")) == 30
