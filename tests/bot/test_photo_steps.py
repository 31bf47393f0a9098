"""The photo steps, through the real bot and the fake Bot API: the buttons and hints say what is there (Skip before
a photo, Done with the count after)."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import media_bytes, person, telegram_person
from ukbot.requests import services as requests
from ukbot.requests.models import Attachment, Request
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)


def t(language: str, msgid: str, **params) -> str:
    with translation.override(language):
        return gettext(msgid).format(**params)


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
