"""The photo steps, through the real bot and the fake Bot API: the buttons and hints say what is there (Skip before
a photo, Done with the count after), and an album (photos sent together) is answered once, every photo kept."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

from tests.factories import media_bytes, person, telegram_person
from ukbot.requests import services as requests
from ukbot.requests.models import Attachment, Request
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)


def t(language: str, msgid: str, **params) -> str:
    with translation.override(language):
        return gettext(msgid).format(**params)


def album_text(language: str, count: int) -> str:
    with translation.override(language):
        return ngettext(
            "📷 {count} photo added. Send more, or press Done.",
            "📷 {count} photos added. Send more, or press Done.",
            count,
        ).format(count=count)


def sent(replies: list) -> list:
    return [reply for reply in replies if reply.method == "sendMessage"]


def edits(replies: list, method: str) -> list:
    return [reply for reply in replies if reply.method == method]


def _resident(bot, telegram_id: int, language: str):
    account = telegram_person("applicant", telegram_id, language=language)
    yard = users.yard_create(name=f"ЖК {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="ул. Навои, 7")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="3").pk
    link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))
    return account, bot.person(telegram_id, "Anna", language_code=language)


def _to_photos(resident, language: str) -> list:
    """Walk the New request wizard up to the photo step; return what the description's answer showed."""
    resident.send(t(language, "📝 New request"))
    resident.tap(t(language, "Plumbing"))
    resident.tap(t(language, "medium"))
    resident.tap("Навои")
    return resident.send("Течёт кран")


def test_the_photo_step_offers_skip_until_a_photo_comes_then_done_with_the_count(bot):
    account, anna = _resident(bot, 7101, "en")
    [ask] = _to_photos(anna, "en")
    assert ask.text == "Send photos of the problem, if you have any (one or several), or press Skip."
    assert ask.buttons == ["Skip"]
    [hint] = anna.send("no photo yet")
    assert hint.text == "Send a photo, or press Skip."

    first = anna.photo(media_bytes("jpeg"))
    [skip_gone] = edits(first, "editMessageReplyMarkup")
    assert (skip_gone.message_id, skip_gone.buttons) == (ask.message_id, [])
    [got] = sent(first)
    assert (got.text, got.buttons) == ("Got 1 photo. Send more, or press Done.", ["✅ Done (1)"])
    [hint] = anna.send("what now?")
    assert hint.text == "Send a photo, or press Done."

    second = anna.photo(media_bytes("png"))
    [done_moved] = edits(second, "editMessageReplyMarkup")
    assert (done_moved.message_id, done_moved.buttons) == (got.message_id, [])
    [got] = sent(second)
    assert (got.text, got.buttons) == ("Got 2 photos. Send more, or press Done.", ["✅ Done (2)"])

    [visit] = sent(anna.tap("✅ Done (2)"))
    assert "Any time" in visit.buttons
    [summary] = sent(anna.tap("Any time"))
    assert "Photos: 2" in summary.text
    anna.tap("✅ Confirm")
    request = Request.objects.get(applicant_id=account)
    assert Attachment.objects.filter(request=request).count() == 2


def test_skip_files_a_request_without_photos_and_asking_again_from_the_summary_offers_skip(bot):
    account, anna = _resident(bot, 7102, "en")
    _to_photos(anna, "en")
    anna.photo(media_bytes("jpeg"))
    anna.tap("✅ Done")
    [summary] = sent(anna.tap("Any time"))
    anna.tap("✏️ Edit", on=summary)
    [again] = sent(anna.tap("Photos"))
    assert again.text == "Send the photos again (the earlier ones are dropped), or press Skip for none."
    assert again.buttons == ["Skip"]
    [hint] = anna.send("none")
    assert hint.text == "Send a photo, or press Skip."
    [summary] = sent(anna.tap("Skip", on=again))
    assert "Photos: 0" in summary.text
    anna.tap("✅ Confirm", on=summary)
    assert Attachment.objects.filter(request__applicant_id=account).count() == 0


def test_an_album_is_answered_once_and_every_photo_is_kept(bot):
    account, anna = _resident(bot, 7103, "ru")
    [ask] = _to_photos(anna, "ru")
    assert ask.text == t("ru", "Send photos of the problem, if you have any (one or several), or press Skip.")
    assert ask.buttons == [t("ru", "Skip")]

    first = anna.photo(media_bytes("jpeg"), media_group_id="album-1")
    [answer] = sent(first)
    assert (answer.text, answer.buttons) == (album_text("ru", 1), [t("ru", "✅ Done ({count})", count=1)])
    assert [e.message_id for e in edits(first, "editMessageReplyMarkup")] == [ask.message_id]
    for count in (2, 3):
        replies = anna.photo(media_bytes("png"), media_group_id="album-1")
        [raised] = replies  # no new message: the album's answer counts on
        assert raised.method == "editMessageText" and raised.message_id == answer.message_id
        assert (raised.text, raised.buttons) == (album_text("ru", count), [t("ru", "✅ Done ({count})", count=count)])

    # a photo sent on its own afterwards, then another album: each answered once more
    [single] = sent(anna.photo(media_bytes("jpeg")))
    assert single.buttons == [t("ru", "✅ Done ({count})", count=4)]
    [second_album] = sent(anna.photo(media_bytes("jpeg"), media_group_id="album-2"))
    assert second_album.text == album_text("ru", 1)
    [raised] = anna.photo(media_bytes("png"), media_group_id="album-2")
    assert raised.method == "editMessageText" and raised.message_id == second_album.message_id
    assert raised.text == album_text("ru", 2)
    assert raised.buttons == [t("ru", "✅ Done ({count})", count=6)]

    anna.tap(t("ru", "✅ Done"))
    [summary] = sent(anna.tap(t("ru", "Any time")))
    assert f"{t('ru', 'Photos')}: 6" in summary.text
    anna.tap(t("ru", "✅ Confirm"))
    request = Request.objects.get(applicant_id=account)
    assert Attachment.objects.filter(request=request, kind="before").count() == 6
    said = [reply for reply in bot.shown_to(anna) if reply.method == "sendMessage"]
    assert sum(reply.text == album_text("ru", 1) for reply in said) == 2  # one answer per album


def test_an_album_goes_on_counting_across_a_restart_of_the_bot(bot):
    _account, anna = _resident(bot, 7104, "en")
    _to_photos(anna, "en")
    [answer] = sent(anna.photo(media_bytes("jpeg"), media_group_id="album-r"))
    bot.restart()
    [raised] = anna.photo(media_bytes("png"), media_group_id="album-r")
    assert raised.method == "editMessageText" and raised.message_id == answer.message_id
    assert (raised.text, raised.buttons) == ("📷 2 photos added. Send more, or press Done.", ["✅ Done (2)"])


def test_an_album_whose_first_photo_carries_the_description(bot):
    _account, anna = _resident(bot, 7105, "en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    anna.tap("low")
    anna.tap("Навои")
    # Telegram puts an album's caption on its first photo: it is the description, the album the photos
    [answer] = anna.photo(media_bytes("jpeg"), caption="Leak under the sink", media_group_id="album-c")
    assert (answer.method, answer.text) == ("sendMessage", "📷 1 photo added. Send more, or press Done.")
    [raised] = anna.photo(media_bytes("png"), media_group_id="album-c")
    assert raised.method == "editMessageText" and raised.text == "📷 2 photos added. Send more, or press Done."
    anna.tap("✅ Done")
    [summary] = sent(anna.tap("Any time"))
    assert "Photos: 2" in summary.text and "Leak under the sink" in summary.text


def _in_progress(plumber: int) -> str:
    number = requests.request_create(
        applicant_id=person("applicant"), category="plumbing", description="Кран течёт", source="bot"
    ).number
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=person("manager"), executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    return number


def test_the_executors_completion_photos_offer_done_once_a_photo_came_with_the_count(bot):
    plumber = telegram_person("executor", 7201, language="en", trades=("plumber",))
    number = _in_progress(plumber)
    ivan = bot.person(7201, "Ivan", language_code="en")

    [ask] = ivan.press(f"ex:done:{number}")
    assert (ask.text, ask.buttons) == ("Send photos of the finished work (one or more).", [])
    [hint] = ivan.send("done")
    assert hint.text == "Send a photo of the finished work. /cancel to stop."

    [got] = ivan.photo(media_bytes("jpeg"))
    assert (got.text, got.buttons) == ("Photo 1 received. Send more or press Done.", ["✅ Done (1)"])
    [hint] = ivan.send("done")
    assert hint.text == "Send a photo of the finished work, or press Done. /cancel to stop."
    second = ivan.photo(media_bytes("png"))
    [done_moved] = edits(second, "editMessageReplyMarkup")
    assert (done_moved.message_id, done_moved.buttons) == (got.message_id, [])
    [got] = sent(second)
    assert (got.text, got.buttons) == ("Photo 2 received. Send more or press Done.", ["✅ Done (2)"])

    [comment] = ivan.tap("✅ Done (2)")
    assert comment.text == "Write a short comment about the work done, or press Skip."
    ivan.send("Washer replaced")
    request = Request.objects.get(pk=number)
    assert request.status == "completed"
    assert Attachment.objects.filter(request=request, kind="after").count() == 2


def test_the_executors_album_of_the_finished_work_is_answered_once(bot):
    plumber = telegram_person("executor", 7202, language="en", trades=("plumber",))
    number = _in_progress(plumber)
    ivan = bot.person(7202, "Ivan", language_code="en")
    ivan.press(f"ex:done:{number}")

    [answer] = ivan.photo(media_bytes("jpeg"), media_group_id="work-1")
    assert (answer.text, answer.buttons) == ("📷 1 photo added. Send more, or press Done.", ["✅ Done (1)"])
    for count in (2, 3):
        [raised] = ivan.photo(media_bytes("png"), media_group_id="work-1")
        assert raised.method == "editMessageText" and raised.message_id == answer.message_id
        assert (raised.text, raised.buttons) == (
            f"📷 {count} photos added. Send more, or press Done.",
            [f"✅ Done ({count})"],
        )

    ivan.tap("✅ Done (3)")
    ivan.send("Washer replaced")
    request = Request.objects.get(pk=number)
    assert request.status == "completed"
    assert Attachment.objects.filter(request=request, kind="after").count() == 3
