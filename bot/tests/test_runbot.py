"""`manage.py runbot` against a fake Telegram Bot API over HTTP: greetings in the user's language, clean stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.tests.fake_telegram import TOKEN, FakeTelegram, command_update

ROOT = Path(__file__).resolve().parents[2]

UZ_START = (
    "Assalomu alaykum, Aziz! Men boshqaruv kompaniyasining botiman: bu yerda nosozlik haqida xabar "
    "berishingiz va arizangiz bajarilishini kuzatishingiz mumkin.\nBuyruqlar roʻyxati: /help"
)
EN_HELP = "Commands:\n/start — get started\n/help — this help"
RU_START = (
    "Здравствуйте, Hans! Я бот управляющей компании: здесь можно сообщить о неисправности "
    "и следить за выполнением заявки.\nСписок команд: /help"
)


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
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


def _run_bot_until(
    fake: FakeTelegram, messages: int, stop_with: signal.Signals
) -> tuple[list[dict], subprocess.CompletedProcess]:
    """Start the real command against the fake, wait for ``messages`` sends, then stop it with ``stop_with``."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runbot"],
        cwd=ROOT,
        env=_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        sent = fake.wait_for_sent(messages, timeout=60)
    finally:
        process.send_signal(stop_with)
        stdout, stderr = process.communicate(timeout=30)
    return sent, subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_start_from_an_uzbek_user_is_greeted_in_uzbek_and_sigterm_stops_the_bot(fake_telegram):
    # given one /start from a Telegram user whose app speaks Uzbek
    fake_telegram.updates.append(
        command_update(1, chat_id=4242, first_name="Aziz", language_code="uz", command="/start")
    )
    # when the bot runs until it has answered, then gets SIGTERM
    sent, finished = _run_bot_until(fake_telegram, messages=1, stop_with=signal.SIGTERM)
    # then it answered that chat once, in Uzbek, and stopped cleanly
    assert sent == [{"chat_id": "4242", "text": UZ_START}]
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    # the stop came while the reply was in flight (the fake answers late): the bot let it finish first
    assert _handled_updates(finished.stderr) == ["1"]
    methods = fake_telegram.methods()
    assert methods[:2] == ["deleteWebhook", "getMe"]
    assert set(methods) == {"deleteWebhook", "getMe", "getUpdates", "sendMessage"}
    # and the update was confirmed (next poll asked from offset 2), so a restart would not answer it again
    polls = [params for method, params in fake_telegram.calls if method == "getUpdates"]
    assert polls[0].get("offset") is None
    assert polls[-1]["offset"] == "2"


def test_help_follows_the_language_unsupported_languages_get_russian_and_sigint_stops_the_bot(fake_telegram):
    fake_telegram.updates += [
        command_update(7, chat_id=501, first_name="Ann", language_code="en-GB", command="/help"),
        command_update(8, chat_id=502, first_name="Hans", language_code="de", command="/start"),
    ]
    sent, finished = _run_bot_until(fake_telegram, messages=2, stop_with=signal.SIGINT)
    assert sorted(sent, key=lambda params: params["chat_id"]) == [
        {"chat_id": "501", "text": EN_HELP},
        {"chat_id": "502", "text": RU_START},
    ]
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    assert sorted(_handled_updates(finished.stderr)) == ["7", "8"]


def test_without_a_token_the_command_exits_with_one_line():
    finished = subprocess.run(
        [sys.executable, "manage.py", "runbot"], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 1
    assert finished.stderr == "CommandError: TELEGRAM_BOT_TOKEN: required to run the bot\n"
    assert finished.stdout == ""
