"""The inspector in the bot, against the fake Bot API: a problem found on a round is reported with a photo (an
inspection request of the building), and the inspector's own requests are listed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import media_bytes, person, telegram_person
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.users import services as users_services

pytestmark = pytest.mark.django_db(transaction=True)


def t(language: str, text: str, **params) -> str:
    """``text`` as the bot says it in ``language`` (so the test holds once the catalogues are filled)."""
    with translation.override(language):
        return gettext(text).format(**params)


def _buildings() -> tuple[int, int]:
    yard = users_services.yard_create(name="Chilonzor-9")
    first = users_services.building_create(yard_id=yard.pk, address="Bunyodkor 12")
    second = users_services.building_create(yard_id=yard.pk, address="Bunyodkor 14")
    return first.pk, second.pk


def test_an_inspector_reports_a_problem_with_a_photo(bot):
    account = telegram_person("inspector", 8001, language="en")
    _first, second = _buildings()
    zafar = bot.person(8001, "Zafar", language_code="en")

    [where] = zafar.send("🔎 Report a problem")
    assert where.text == "🔎 Where is the problem? Choose the building:"
    assert where.buttons == ["Bunyodkor 12", "Bunyodkor 14"]
    [hint] = zafar.send("the big one")
    assert hint.text == "Choose the building with the buttons above. /cancel to stop."
    [apartment] = zafar.tap("Bunyodkor 14")
    assert (
        apartment.text == "🏢 Bunyodkor 14\nIf the problem is in an apartment, write its number; otherwise press Skip."
    )
    [category] = zafar.send("7")
    assert category.text == "What kind of problem is it?"
    [describe] = zafar.tap("Elevator")
    assert describe.text == "Describe the problem in a few words."
    [photos] = zafar.send("The lift door <does not> close")
    assert (photos.text, photos.buttons) == ("Send photos of the problem (one or more), or press Skip.", ["⏭ Skip"])
    [hint] = zafar.sticker()
    assert hint.text == "Send a photo of the problem, or press Skip."
    [got] = [reply for reply in zafar.photo(media_bytes("jpeg")) if reply.method == "sendMessage"]
    assert (got.text, got.buttons) == ("Photo 1 received. Send more or press Done.", ["✅ Done (1)"])
    [filed] = zafar.tap("✅ Done")
    number = filed.text.split("Request ", 1)[1].split(" ", 1)[0]
    assert filed.text == f"✅ Thank you! Request {number} is filed; the dispatcher will take it from here."
    assert zafar.tap("✅ Done", on=got) == []  # a double tap: one request, not two

    request = requests_selectors.request_get(number=number)
    assert (request.source, request.building_id, request.category) == ("inspection", second, "elevator")
    assert (request.applicant_id, request.created_by) == (account, account)
    assert request.address == "Bunyodkor 14, " + t(settings.LANGUAGE_CODE, "apt. %(number)s") % {"number": "7"}
    assert request.description == "The lift door <does not> close"
    assert [a.kind for a in requests_selectors.attachments_of(number=number)] == ["before"]
    assert requests_selectors.requests_visible_to(account_id=account, actor_kind="applicant").count() == 1

    [card] = zafar.tap("Open")
    assert f"Request {number}" in card.text and "&lt;does not&gt;" in card.text


def test_an_inspector_lists_the_requests_they_filed_and_skips_the_apartment(bot):
    account = telegram_person("inspector", 8002, language="en")
    first, _second = _buildings()
    someone = person("applicant")
    requests_services.request_create(applicant_id=someone, category="cleaning", description="Not mine")
    nodir = bot.person(8002, "Nodir", language_code="en")

    [empty] = nodir.send("📋 My requests")
    assert empty.text == "You have not reported any problems yet."

    nodir.send("🔎 Report a problem")
    nodir.tap("Bunyodkor 12")
    nodir.tap("⏭ Skip")
    nodir.tap("Cleaning")
    nodir.send("Rubbish by the entrance")
    [filed] = nodir.tap("⏭ Skip")  # photos are welcome, not required
    number = filed.text.split("Request ", 1)[1].split(" ", 1)[0]
    request = requests_selectors.request_get(number=number)
    assert (request.building_id, request.address) == (first, "Bunyodkor 12")

    [mine] = nodir.send("📋 My requests")
    assert number in mine.text and "Not mine" not in mine.text
    assert requests_selectors.request_get(number=number).applicant_id == account


def test_an_inspector_comments_on_a_request_they_filed_but_has_no_residents_wizard(bot):
    account = telegram_person("inspector", 8003, language="en")
    first, _second = _buildings()
    number = requests_services.request_create(
        applicant_id=account,
        created_by=account,
        source="inspection",
        category="elevator",
        description="The lift is stuck",
        building_id=first,
    ).number
    olim = bot.person(8003, "Olim", language_code="en")

    # inspectors act on requests as applicants: the card's dialogs are theirs too
    [card] = olim.press(f"req:open:{number}")
    assert "💬 Comment" in card.buttons
    [ask] = olim.tap("💬 Comment", on=card)
    assert ask.text == f"Write your comment on request {number}."
    [added] = olim.send("Checked again: still stuck")
    assert added.text == f"💬 Your comment is added to request {number}."
    [comment] = requests_selectors.comments_for(number=number, actor_kind="applicant")
    assert (comment.author_id, comment.text) == (account, "Checked again: still stuck")

    # the resident's New request is not on an inspector's menu, and typing its label does not start it
    [not_theirs] = olim.send("📝 New request")
    assert not_theirs.text == "I did not understand that. Use the menu below, or /help."
