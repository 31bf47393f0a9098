"""The fake Bot API (tests/fakes/telegram_api.py) speaks the real protocol: aiogram works with it as the bot uses it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BotCommand, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "42:fake-secret"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
def fake():
    with FakeTelegramAPI(token=TOKEN) as server:
        yield server


def _run(fake: FakeTelegramAPI, scenario, **bot_options):
    async def main():
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)), **bot_options)
        try:
            return await scenario(bot)
        finally:
            await bot.session.close()

    return asyncio.run(main())


def test_aiogram_sends_messages_with_buttons_photos_commands_and_reads_files(fake):
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok:1")]])
    fake.expect_callback("cb-1")

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


def _call(fake: FakeTelegramAPI, method: str, **params) -> httpx.Response:
    return httpx.post(f"{fake.url}/bot{TOKEN}/{method}", json=params)


def _refused(description: str) -> dict:
    return {"ok": False, "error_code": 400, "description": description}


# --- answerCallbackQuery: once, for a press that was delivered ---------------------------------------------------


def test_a_delivered_press_is_answered_once_then_refused(fake):
    press = fake.push_callback(5005, "req:accept:7")["callback_query"]

    first = _call(fake, "answerCallbackQuery", callback_query_id=press["id"], text="Accepted")
    second = _call(fake, "answerCallbackQuery", callback_query_id=press["id"])

    assert first.json() == {"ok": True, "result": True}
    assert (second.status_code, second.json()) == (400, _refused(QUERY_INVALID))


def test_a_press_never_delivered_cannot_be_answered(fake):
    answer = _call(fake, "answerCallbackQuery", callback_query_id="4242")
    assert (answer.status_code, answer.json()) == (400, _refused(QUERY_INVALID))


def test_pushed_updates_and_expected_presses_can_be_answered(fake):
    fake.push_update({"callback_query": {"id": "77", "from": {"id": 1, "is_bot": False, "first_name": "A"}}})
    fake.expect_callback("webhook-press")

    statuses = [_call(fake, "answerCallbackQuery", callback_query_id=i).status_code for i in ("77", "webhook-press")]

    assert statuses == [200, 200]


def test_a_callback_answer_over_200_characters_is_refused_and_the_press_stays_open(fake):
    press = fake.push_callback(5006, "x")["callback_query"]

    too_long = _call(fake, "answerCallbackQuery", callback_query_id=press["id"], text="я" * 201)
    at_limit = _call(fake, "answerCallbackQuery", callback_query_id=press["id"], text="я" * 200)

    assert (too_long.status_code, too_long.json()) == (400, _refused("Bad Request: MESSAGE_TOO_LONG"))
    assert at_limit.status_code == 200


# --- HTML Telegram cannot parse ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("Заявка <foo>1</foo>", 'Unsupported start tag "foo" at byte offset 13'),  # Cyrillic: 2 bytes a letter
        ("<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>a</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("a</b>", "Unexpected end tag at byte offset 1"),
        ("<b>a", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>a<i>b</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<>", 'Unsupported start tag "" at byte offset 0'),
        ("<user@example.com>", 'Unsupported start tag "user@example.com" at byte offset 0'),
        ("2 <3 apples", 'Unsupported start tag "3" at byte offset 2'),
        ("a <b", "Unclosed start tag at byte offset 2"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="https://t.me>x</a>', "Unclosed start tag at byte offset 0"),
        (
            "&#xD800;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units",
        ),
    ],
)
def test_html_telegram_cannot_parse_is_refused_with_its_words(fake, markup, error):
    answer = _call(fake, "sendMessage", chat_id=5007, text=markup, parse_mode="HTML")

    assert (answer.status_code, answer.json()) == (400, _refused(f"Bad Request: can't parse entities: {error}"))
    assert fake.delivered() == []


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("sendMessage", {"chat_id": 5008, "text": "<p>x</p>"}),
        ("editMessageText", {"chat_id": 5008, "message_id": 3, "text": "<p>x</p>"}),
        ("sendPhoto", {"chat_id": 5008, "photo": "photo-1", "caption": "<p>x</p>"}),
        ("sendDocument", {"chat_id": 5008, "document": "document-1", "caption": "<p>x</p>"}),
        ("editMessageCaption", {"chat_id": 5008, "message_id": 3, "caption": "<p>x</p>"}),
    ],
)
def test_every_method_with_a_text_or_caption_checks_its_html(fake, method, params):
    answer = _call(fake, method, parse_mode="html", **params)  # the mode's name in any case, as Telegram reads it

    assert answer.status_code == 400
    assert (
        answer.json()["description"] == 'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0'
    )


@pytest.mark.parametrize(
    "markup",
    [
        "<b>Заявка №12</b>\n<i>Статус: <u>новая</u></i>",
        "<B>bold</B> <Strong>strong</STRONG> <em>em</em> <ins>ins</ins> <s>s</s> <strike>st</strike> <del>d</del>",
        "<a href=\"https://example.uz/r?id=1&amp;x=2\">ссылка</a> <a href='tg://user?id=5'>Азиз</a>",
        '<code>x &lt; y</code> <pre><code class="language-python">a &gt; b</code></pre>',
        '<tg-spoiler>тайна</tg-spoiler> <span class="tg-spoiler">секрет</span>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> 🏠 Kvartira 12 ✅',
        "<blockquote expandable>Iltimos, kuting…</blockquote><blockquote>ok</blockquote>",
        "1 &lt; 2 &amp;&amp; 3 &gt; 2, &quot;quoted&quot;, &#1071;&#x44f;",
        "Tom & Jerry; &nbsp; &copy; AT&T",  # an & that starts no known entity is kept
        "<b>a</>",  # tdlib's short end tag
        "<i>a</i   >",
    ],
)
def test_well_formed_html_is_sent(fake, markup):
    answer = _call(fake, "sendMessage", chat_id=5009, text=markup, parse_mode="HTML")

    assert answer.status_code == 200, answer.json()
    assert answer.json()["result"]["text"] == markup


def test_without_a_parse_mode_the_text_is_not_checked_as_html(fake):
    answer = _call(fake, "sendMessage", chat_id=5010, text="1 < 2 </b> <foo>")
    assert answer.status_code == 200


def test_aiogram_raises_bad_request_for_html_telegram_cannot_parse(fake):
    async def scenario(bot: Bot):
        with pytest.raises(TelegramBadRequest) as refused:
            await bot.send_message(5011, "Заявка <№12>")  # the bot's default parse mode, as the bot has it
        return refused.value

    refused = _run(fake, scenario, default=DefaultBotProperties(parse_mode="HTML"))
    assert refused.message == 'Bad Request: can\'t parse entities: Unsupported start tag "№12" at byte offset 13'
    assert fake.calls("sendMessage")[0].status == 400


# --- empty and too long ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("sendMessage", {"text": ""}),
        ("sendMessage", {}),
        ("sendMessage", {"text": " \n "}),
        ("sendMessage", {"text": "<b> </b>\n<i></i>", "parse_mode": "HTML"}),
        ("editMessageText", {"message_id": 3, "text": "<b></b>", "parse_mode": "HTML"}),
    ],
)
def test_a_text_empty_once_parsed_is_refused(fake, method, params):
    answer = _call(fake, method, chat_id=5012, **params)
    assert (answer.status_code, answer.json()) == (400, _refused("Bad Request: message text is empty"))


def test_a_text_over_4096_characters_once_parsed_is_refused(fake):
    at_limit = _call(fake, "sendMessage", chat_id=5013, text="<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    too_long = _call(fake, "sendMessage", chat_id=5014, text="ж" * 4097)
    edited = _call(fake, "editMessageText", chat_id=5014, message_id=1, text="ж" * 4097, parse_mode="HTML")

    assert at_limit.status_code == 200
    assert (too_long.status_code, too_long.json()) == (400, _refused("Bad Request: message is too long"))
    assert edited.json() == _refused("Bad Request: message is too long")
    assert [c.chat_id for c in fake.delivered()] == ["5013"]


@pytest.mark.parametrize("method", ["sendPhoto", "sendDocument", "editMessageCaption"])
def test_a_caption_over_1024_characters_once_parsed_is_refused(fake, method):
    media = {"sendPhoto": {"photo": "photo-1"}, "sendDocument": {"document": "document-1"}}.get(method, {})

    at_limit = _call(fake, method, chat_id=5015, caption="<i>" + "ё" * 1024 + "</i>", parse_mode="HTML", **media)
    too_long = _call(fake, method, chat_id=5015, caption="ё" * 1025, **media)
    no_caption = _call(fake, method, chat_id=5015, **media)

    assert at_limit.status_code == 200
    assert (too_long.status_code, too_long.json()) == (400, _refused("Bad Request: message caption is too long"))
    assert no_caption.status_code == 200
