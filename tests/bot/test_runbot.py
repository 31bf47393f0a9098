"""`manage.py runbot` as a process against the fake Telegram Bot API over HTTP: answers in the user's language,
a registered person's greeting from the test database, and clean stops on SIGTERM and SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from bot.handlers.common import help_text
from bot.i18n import _
from tests.factories import telegram_person
from tests.fakes.bot_harness import TOKEN, forget_bot_keys
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.processes import database_url
from ukbot.users import services as users

ROOT = Path(__file__).resolve().parents[2]
# The bot's replies are answered late, so a stop that comes on seeing a reply comes while it is in flight.
REPLY_DELAY = 0.5


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return _(text)


def _welcome(language: str) -> list[str]:
    return [
        _in(language, "Welcome! I am the bot of your housing management company."),
        _in(language, "Choose your language:"),
    ]


def _handled_updates(stderr: str) -> list[str]:
    """The update ids that aiogram logged as handled (stderr carries one JSON object per line)."""
    messages = [json.loads(line)["message"] for line in stderr.splitlines() if line.startswith("{")]
    return [m.split()[1].removeprefix("id=") for m in messages if m.startswith("Update id=") and " is handled" in m]


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["LOG_LEVEL"] = "INFO"  # aiogram logs each handled update at INFO; the tests read those lines
    env.update(overrides)
    return env


@pytest.fixture
def fake() -> Iterator[FakeTelegramAPI]:
    forget_bot_keys()
    with FakeTelegramAPI(token=TOKEN) as api:
        yield api
    forget_bot_keys()


def _command(fake: FakeTelegramAPI, chat_id: int, first_name: str, language_code: str, text: str) -> None:
    user = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
    fake.push_message(chat_id, text, from_user=user)


def _run_bot_until(
    fake: FakeTelegramAPI, messages: int, stop_with: signal.Signals
) -> tuple[dict[str, list[str]], subprocess.CompletedProcess]:
    """Start the real command against the fake, wait until ``messages`` replies were asked for, then stop it with
    ``stop_with``; return the texts each chat got, and the finished process."""
    fake.delay_next(REPLY_DELAY, "sendMessage", times=messages)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runbot"],
        cwd=ROOT,
        env=_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url, DATABASE_URL=database_url()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake.wait_for(messages, method="sendMessage", timeout=60)
    finally:
        process.send_signal(stop_with)
        stdout, stderr = process.communicate(timeout=30)
    texts: dict[str, list[str]] = {}
    for call in fake.delivered():
        texts.setdefault(call.chat_id, []).append(call.params["text"])
    return texts, subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.django_db(transaction=True)
def test_a_newcomer_is_asked_for_the_language_in_uzbek_and_sigterm_stops_the_bot(fake):
    # given one /start from a Telegram user whose app speaks Uzbek
    _command(fake, 4242, "Aziz", "uz", "/start")
    # when the bot runs until it has answered, then gets SIGTERM
    sent, finished = _run_bot_until(fake, messages=2, stop_with=signal.SIGTERM)
    # then it welcomed that chat in Uzbek and offered the languages, and stopped cleanly
    assert sent == {"4242": _welcome("uz")}
    [choose] = [c for c in fake.delivered() if c.params["text"] == _welcome("uz")[1]]
    labels = [row[0]["text"] for row in choose.params["reply_markup"]["inline_keyboard"]]
    assert labels == ["🇷🇺 Русский", "🇺🇿 Oʻzbekcha", "🇬🇧 English"]
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    # the stop came while the second reply was in flight (the fake answers late): the bot let it finish first
    assert _handled_updates(finished.stderr) == ["1"]
    methods = [c.method for c in fake.calls()]
    assert methods[0] == "deleteWebhook"
    assert set(methods) == {"deleteWebhook", "setMyCommands", "getMe", "getUpdates", "sendMessage"}
    # and the update was confirmed (next poll asked from offset 2), so a restart would not answer it again
    polls = [c.params for c in fake.calls("getUpdates")]
    assert polls[0].get("offset") is None
    assert str(polls[-1]["offset"]) == "2"


@pytest.mark.django_db(transaction=True)
def test_answers_follow_the_language_and_a_registered_person_is_greeted_and_sigint_stops_the_bot(fake):
    account = telegram_person("applicant", 503, language="en")
    users.profile_update(account_id=account, first_name="Kamola")
    _command(fake, 501, "Ann", "en-GB", "/help")
    _command(fake, 502, "Hans", "de", "/start")
    _command(fake, 503, "Kamola", "ru", "/start")
    sent, finished = _run_bot_until(fake, messages=4, stop_with=signal.SIGINT)
    with translation.override("en"):
        help_en = help_text(None)
    assert sent == {"501": [help_en], "502": _welcome("ru"), "503": ["Hello, Kamola!"]}
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    assert sorted(_handled_updates(finished.stderr)) == ["1", "2", "3"]


def test_without_a_token_the_command_exits_with_one_line():
    finished = subprocess.run(
        [sys.executable, "manage.py", "runbot"], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 1
    assert finished.stderr == "CommandError: TELEGRAM_BOT_TOKEN: required to run the bot\n"
    assert finished.stdout == ""
