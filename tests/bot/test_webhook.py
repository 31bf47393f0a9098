"""Webhook mode: Telegram POSTs updates to /telegram/webhook/ with the secret token; the bot answers through the
Bot API (here the fake over HTTP). `setwebhook` points Telegram at the URL with the secret."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import telegram_person
from tests.fakes.bot_harness import TOKEN
from tests.fakes.telegram_api import FakeTelegramAPI

# The updates are handled on the web process's bot loop, a thread of its own: it sees committed data only.
pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "webhook-secret_42"


@pytest.fixture
def fake(settings):
    from bot.webhook import shutdown

    with FakeTelegramAPI(token=TOKEN) as api:
        settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_URL = TOKEN, api.url
        settings.TELEGRAM_WEBHOOK_SECRET = SECRET
        try:
            yield api
        finally:
            shutdown()  # its database connection would keep the test database from being dropped


def _update(update_id: int, user_id: int, text: str, language: str = "en") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Hans", "language_code": language}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


def test_an_update_with_the_secret_is_handled_and_answered(client, fake):
    telegram_person("manager", 8101, language="en")
    response = client.post(
        "/telegram/webhook/",
        _update(1, 8101, "/help"),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    [sent] = fake.delivered(chat_id=8101)
    assert sent.params["text"].startswith("Triage, assign and check requests")


def test_updates_share_one_bot_session_and_redis_client(client, fake):
    from bot import redis as bot_redis
    from bot.webhook import runner

    telegram_person("manager", 8104, language="en")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    client.post("/telegram/webhook/", _update(11, 8104, "/help"), content_type="application/json", headers=headers)
    [bot] = runner().bots.values()
    redis_client = bot_redis._clients[runner().loop]

    client.post("/telegram/webhook/", _update(12, 8104, "/menu"), content_type="application/json", headers=headers)

    assert list(runner().bots.values()) == [bot] and not bot.session._session.closed
    assert bot_redis._clients[runner().loop] is redis_client
    assert len(fake.delivered(chat_id=8104)) == 2


@pytest.mark.parametrize("secret", [None, "", "webhook-secret_41", SECRET + "x"])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_handled(client, fake, secret):
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    response = client.post(
        "/telegram/webhook/", _update(2, 8102, "/help"), content_type="application/json", headers=headers
    )
    assert response.status_code == 403
    assert fake.calls("sendMessage") == []


def test_a_body_that_is_not_an_update_is_a_400(client, fake):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert client.post("/telegram/webhook/", "{", content_type="application/json", headers=headers).status_code == 400
    response = client.post("/telegram/webhook/", [1], content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert client.get("/telegram/webhook/").status_code == 405


def test_without_a_secret_configured_webhook_mode_is_off(client, fake, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = None
    response = client.post(
        "/telegram/webhook/",
        _update(3, 8103, "/help"),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": ""},
    )
    assert response.status_code == 404
    assert fake.calls("sendMessage") == []


def test_setwebhook_sets_the_url_with_the_secret_and_the_commands(fake):
    call_command("setwebhook", "https://uk.example.uz/telegram/webhook/")
    [call] = fake.calls("setWebhook")
    assert call.params["url"] == "https://uk.example.uz/telegram/webhook/"
    assert call.params["secret_token"] == SECRET
    assert len(fake.calls("setMyCommands")) == 3
    call_command("setwebhook", "--delete")
    assert len(fake.calls("deleteWebhook")) == 1


def test_setwebhook_refuses_a_plain_http_url_and_a_missing_secret(fake, settings):
    with pytest.raises(CommandError, match="https"):
        call_command("setwebhook", "http://uk.example.uz/telegram/webhook/")
    settings.TELEGRAM_WEBHOOK_SECRET = None
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        call_command("setwebhook", "https://uk.example.uz/telegram/webhook/")
    assert fake.calls("setWebhook") == []
