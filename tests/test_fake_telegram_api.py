"""The fake Bot API (tests/fakes/telegram_api.py) speaks the real protocol: aiogram works with it as the bot uses it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BotCommand, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "42:fake-secret"


@pytest.fixture
def fake():
    with FakeTelegramAPI(token=TOKEN) as server:
        yield server


def _run(fake: FakeTelegramAPI, scenario):
    async def main():
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))
        try:
            return await scenario(bot)
        finally:
            await bot.session.close()

    return asyncio.run(main())


def test_aiogram_sends_messages_with_buttons_photos_commands_and_reads_files(fake):
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok:1")]])

    async def scenario(bot: Bot):
        me = await bot.get_me()
        message = await bot.send_message(5001, "<b>Hi</b>", parse_mode="HTML", reply_markup=keyboard)
        photo = await bot.send_photo(5001, BufferedInputFile(b"\x89PNG-bytes", filename="a.png"), caption="pic")
        file = await bot.get_file(photo.photo[-1].file_id)
        content = await bot.download_file(file.file_path)
        await bot.set_my_commands([BotCommand(command="start", description="Start")])
        await bot.answer_callback_query("cb-1", text="Done")
        return me, message, content.read()

    me, message, content = _run(fake, scenario)
    assert me.username == "uk_test_bot"
    assert message.text == "<b>Hi</b>"
    assert message.chat.id == 5001
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "ok:1"
    assert content == b"\x89PNG-bytes"
    assert [c.method for c in fake.calls()] == [
        "getMe",
        "sendMessage",
        "sendPhoto",
        "getFile",
        "setMyCommands",
        "answerCallbackQuery",
    ]
    assert fake.calls("sendMessage")[0].params["reply_markup"] == {
        "inline_keyboard": [[{"text": "OK", "callback_data": "ok:1"}]]
    }
    assert fake.calls("setMyCommands")[0].params["commands"] == [{"command": "start", "description": "Start"}]
    assert len(fake.delivered()) == 2


def test_get_updates_long_polls_and_confirms_by_offset(fake):
    async def scenario(bot: Bot):
        started = time.monotonic()
        nothing = await bot.get_updates(timeout=1)
        waited = time.monotonic() - started
        fake.push_message(5002, "/start")
        fake.push_callback(5002, "req:accept:7")
        updates = await bot.get_updates(timeout=5)
        after = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
        return nothing, waited, updates, after

    nothing, waited, updates, after = _run(fake, scenario)
    assert nothing == []
    assert waited >= 0.9
    assert updates[0].message.text == "/start"
    assert updates[1].callback_query.data == "req:accept:7"
    assert after == []


def test_scripted_failures_reach_aiogram_as_its_errors(fake):
    fake.fail_next(status=429, retry_after=7)
    fake.fail_next(status=403, chat_id=5004)

    async def scenario(bot: Bot):
        errors = []
        for chat in (5003, 5004):
            try:
                await bot.send_message(chat, "x")
            except (TelegramRetryAfter, TelegramForbiddenError) as exc:
                errors.append(exc)
        return errors

    retry, forbidden = _run(fake, scenario)
    assert isinstance(retry, TelegramRetryAfter)
    assert retry.retry_after == 7
    assert isinstance(forbidden, TelegramForbiddenError)
    assert "blocked" in forbidden.message
    assert fake.delivered() == []


def test_enforced_limits_answer_429_per_chat_and_per_bot():
    with FakeTelegramAPI(enforce_limits=True, global_per_second=5) as fake:
        url = f"{fake.url}/bot1:x/sendMessage"
        same_chat = [httpx.post(url, json={"chat_id": 1, "text": "a"}).status_code for _ in range(2)]
        many_chats = [httpx.post(url, json={"chat_id": 100 + i, "text": "b"}).status_code for i in range(6)]
        assert same_chat == [200, 429]
        assert many_chats == [200, 200, 200, 200, 429, 429]  # 5 a second, the first chat's included
        assert fake.rate_limited == 3
        assert len(fake.delivered()) == 5


def test_a_wrong_token_is_unauthorized(fake):
    answer = httpx.post(f"{fake.url}/bot1:wrong/getMe")
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
