"""A resident turns the progress of their requests off (and on) in the bot: assignments and work started stop
coming, what needs them (a manager's question, work to accept) still comes."""

from __future__ import annotations

import pytest

from tests.factories import executor, media_file, person, telegram_person
from ukbot.notifications.services import preference_get
from ukbot.requests import services as requests

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_turns_progress_messages_off_and_still_hears_what_needs_them(bot):
    account = telegram_person("applicant", 9401, language="en")
    anna = bot.person(9401, "Anna", language_code="en")

    [screen] = anna.send("🔔 Notifications")
    assert screen.text == (
        "<b>🔔 Notifications</b>\n"
        "Messages on the progress of your requests (a specialist assigned, work started, work done) are on.\n"
        "Questions from the managers, work to accept and cancellations always come."
    )
    assert screen.buttons == ["🔕 Turn progress messages off"]
    replies = anna.double_tap("Turn progress messages off", on=screen)  # a second tap sets the same again
    assert [r.method for r in replies] == ["editMessageText", "editMessageText"]
    assert "work done) are off." in replies[-1].text and replies[-1].buttons == ["🔔 Turn progress messages on"]
    assert preference_get(account_id=account).messages == {"progress": False}

    number = requests.request_create(applicant_id=account, category="plumbing", description="Leak").number
    manager, plumber = person("manager"), executor("plumber")
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    before = len(bot.shown_to(anna))
    bot.deliver()
    assert bot.shown_to(anna)[before:] == []  # no progress

    requests.request_complete(number=number, actor_id=plumber, photos=[media_file(plumber)])
    requests.request_move(number=number, to_status="confirmed", actor_kind="manager", actor_id=manager)
    bot.deliver()
    [accept] = bot.shown_to(anna)[before:]
    assert number in accept.text and "Accept" in " ".join(accept.buttons)

    [screen] = anna.send("🔔 Notifications")
    anna.tap("Turn progress messages on", on=screen)
    assert preference_get(account_id=account).messages == {"progress": True}


def test_the_notifications_button_is_a_residents(bot):
    telegram_person("executor", 9402, language="en", trades=("plumber",))
    ivan = bot.person(9402, "Ivan", language_code="en")
    assert "🔔 Notifications" not in ivan.send("/menu")[0].keyboard
    ivan.press("notify:0")
    assert bot.fake.calls("answerCallbackQuery")[-1].params.get("text") == "This button is no longer active."
