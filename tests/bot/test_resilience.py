"""What survives: a dialog half done when the bot restarts, and a dialog whose steps reach different bot processes
(the dialog state is in Redis, not in a process)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests.factories import telegram_person
from ukbot.requests import selectors as requests_selectors

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "resilience-secret"


def test_a_dialog_half_done_goes_on_after_the_bot_restarts(bot):
    account = telegram_person("applicant", 7101, language="en")
    anna = bot.person(7101, "Anna", language_code="en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    anna.tap("medium")
    anna.send("Bunyodkor 5, apt. 7")  # no saved apartment: the address is typed

    bot.restart()

    [ask] = [r for r in anna.send("The tap in the kitchen drips") if r.method == "sendMessage"]
    assert ask.text.startswith("Send photos of the problem")
    anna.tap("Skip")
    anna.tap("Any time")
    anna.tap("Confirm")
    [request] = requests_selectors.requests_visible_to(account_id=account, actor_kind="applicant")
    assert (request.category, request.urgency, request.description) == (
        "plumbing",
        "medium",
        "The tap in the kitchen drips",
    )


def test_a_dialog_goes_on_in_another_bot_process_through_the_webhook(bot, settings):
    """Step one reaches the polling bot, step two the webhook view (as with several web workers)."""
    account = telegram_person("applicant", 7102, language="en")
    anna = bot.person(7102, "Anna", language_code="en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    anna.tap("low")
    anna.send("Bunyodkor 5, stairwell 2")
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    before = len(bot.shown_to(anna))
    update = {
        "update_id": 990001,
        "message": {
            "message_id": 990001,
            "date": int(time.time()),
            "chat": {"id": 7102, "type": "private"},
            "from": anna.user,
            "text": "The light in the stairwell is off",
        },
    }
    response = Client().post(
        "/telegram/webhook/",
        update,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200
    [ask] = [r for r in bot.shown_to(anna)[before:] if r.method == "sendMessage"]
    assert ask.text.startswith("Send photos of the problem")
    anna.history.append(ask)
    anna.tap("Skip")
    anna.tap("Any time")
    anna.tap("Confirm")
    [request] = requests_selectors.requests_visible_to(account_id=account, actor_kind="applicant")
    assert (request.urgency, request.description) == ("low", "The light in the stairwell is off")
