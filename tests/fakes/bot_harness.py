"""The real bot, polling a :class:`~tests.fakes.telegram_api.FakeTelegramAPI` over HTTP from a thread of the
test process, and people who talk to it.

Use with a database the bot's thread can see (``@pytest.mark.django_db(transaction=True)``)::

    def test_hello(bot):
        aziz = bot.person(5001, "Aziz", language_code="uz")
        replies = aziz.send("/start")
        assert "Assalomu" in replies[0].text

Each action (``send``, ``tap``, ``photo``, ``contact``, …) pushes one update, waits until the bot has finished
handling it, and returns what the bot sent to that chat meanwhile (messages, edits, photos), oldest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis as redis_sync
from django.conf import settings

from tests.fakes.telegram_api import Call, FakeTelegramAPI

TOKEN = "424242:bot-harness-token"
FLOOD_RATE = 200  # updates per person per flood-control period during tests (the `bot` fixture sets it)
SHOWN = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


@dataclass
class Reply:
    """One thing the bot showed in the chat."""

    call: Call

    @property
    def method(self) -> str:
        return self.call.method

    @property
    def text(self) -> str:
        return str(self.call.params.get("text") or self.call.params.get("caption") or "")

    @property
    def message_id(self) -> int | None:
        result = self.call.result
        return result.get("message_id") if isinstance(result, dict) else None

    @property
    def markup(self) -> dict:
        return self.call.params.get("reply_markup") or {}

    @property
    def buttons(self) -> list[str]:
        """The labels of the inline buttons, row by row flattened."""
        return [button["text"] for row in self.markup.get("inline_keyboard", []) for button in row]

    @property
    def keyboard(self) -> list[str]:
        """The labels of a reply keyboard (the main menu and the like)."""
        return [b["text"] if isinstance(b, dict) else str(b) for row in self.markup.get("keyboard", []) for b in row]

    def data_of(self, label: str) -> str:
        """The callback data of the inline button whose label contains ``label``.

        :raises LookupError: no such button.
        """
        for row in self.markup.get("inline_keyboard", []):
            for button in row:
                if label in button["text"] and "callback_data" in button:
                    return button["callback_data"]
        raise LookupError(f"no button {label!r} among {self.buttons}")

    def __repr__(self) -> str:
        return f"<{self.method} {self.text[:60]!r} buttons={self.buttons or self.keyboard}>"


class Person:
    """A Telegram user in a private chat with the bot."""

    def __init__(self, harness: BotHarness, user_id: int, first_name: str, language_code: str | None, **extra):
        self.harness, self.id = harness, user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name, **extra}
        if language_code:
            self.user["language_code"] = language_code
        self.history: list[Reply] = []  # everything the bot showed this person, oldest first

    # --- what the person does -------------------------------------------------------------------------------
    def send(self, text: str, **message: Any) -> list[Reply]:
        """Type ``text`` (a command, a menu button's label or anything) and send it."""
        content: dict[str, Any] = {"text": text, **message}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._message(content)

    def tap(self, label: str, *, on: Reply | None = None) -> list[Reply]:
        """Press the inline button whose label contains ``label`` on ``on`` (default: the newest message that has
        such a button)."""
        target = on or self.last_with_button(label)
        return self.press(target.data_of(label), message_id=target.message_id)

    def double_tap(self, label: str, *, on: Reply | None = None, times: int = 2) -> list[Reply]:
        """Press the inline button labelled ``label`` ``times`` times at once, as an impatient thumb does: the
        presses reach the bot together and are handled concurrently as aiogram handles updates. Return what the bot
        showed meanwhile."""
        target = on or self.last_with_button(label)
        data = target.data_of(label)
        updates = [{"callback_query": self._query(data, target.message_id)} for _ in range(times)]
        return self.harness.handle_all(self, updates)

    def send_twice(self, content: dict) -> list[Reply]:
        """Send the same message twice at once (a contact shared twice, a text sent on a shaky network)."""
        return self.harness.handle_all(self, [{"message": self._base(content)} for _ in range(2)])

    def _query(self, data: str, message_id: int | None) -> dict:
        message = {
            "message_id": message_id or 1,
            "date": int(time.time()),
            "chat": self._chat(),
            "from": self.harness.fake.bot,
            "text": "…",
        }
        query_id = str(next(self.harness.ids))
        self.harness.pressed.append(query_id)
        return {
            "id": query_id,
            "from": self.user,
            "chat_instance": str(self.id),
            "message": message,
            "data": data,
        }

    def press(self, data: str, *, message_id: int | None = None) -> list[Reply]:
        """Press an inline button with callback data ``data`` (under message ``message_id``, or an old one)."""
        return self.harness.handle(self, {"callback_query": self._query(data, message_id)})

    def photo(
        self, content: bytes, *, caption: str | None = None, size: int | None = None, media_group_id: str | None = None
    ) -> list[Reply]:
        """Send a photo with ``content`` as its bytes (Telegram's largest size of it); one of an album with
        ``media_group_id`` (Telegram sends each photo of an album as a message of its own, all with that id)."""
        file_id = f"ph{next(self.harness.ids)}"
        self.harness.fake.add_file(file_id, content, file_path=f"photos/{file_id}.jpg")
        size = len(content) if size is None else size
        sizes = [{"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 960, "file_size": size}]
        message: dict[str, Any] = {"photo": sizes}
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        return self._message(message)

    def document(self, content: bytes, *, name: str = "document.pdf", mime: str = "application/pdf") -> list[Reply]:
        """Send a file as a document."""
        file_id = f"doc{next(self.harness.ids)}"
        self.harness.fake.add_file(file_id, content, file_path=f"documents/{file_id}")
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self._message({"document": document})

    def contact(self, phone: str, *, user_id: int | None = None) -> list[Reply]:
        """Share a contact: one's own (the default) or somebody else's (``user_id``)."""
        contact = {"phone_number": phone, "first_name": self.user["first_name"], "user_id": user_id or self.id}
        return self._message({"contact": contact})

    def location(self, latitude: float, longitude: float, *, live_period: int | None = None) -> list[Reply]:
        """Share a location (a live one with ``live_period``)."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if live_period:
            location["live_period"] = live_period
        return self._message({"location": location})

    def sticker(self) -> list[Reply]:
        sticker = {
            "file_id": "sticker1",
            "file_unique_id": "sticker1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._message({"sticker": sticker})

    def edit(self, message_id: int, text: str) -> list[Reply]:
        """Edit one's earlier message."""
        message = self._base({"text": text})
        message["message_id"] = message_id
        message["edit_date"] = int(time.time())
        return self.harness.handle(self, {"edited_message": message})

    # --- what the person sees ------------------------------------------------------------------------------
    @property
    def last(self) -> Reply:
        return self.history[-1]

    def last_with_button(self, label: str) -> Reply:
        for reply in reversed(self.history):
            if any(label in text for text in reply.buttons):
                return reply
        raise LookupError(f"no message with a button {label!r} in this chat")

    def menu(self) -> list[str]:
        """The labels of the newest reply keyboard the bot showed."""
        for reply in reversed(self.history):
            if reply.keyboard:
                return reply.keyboard
        return []

    # --- plumbing ------------------------------------------------------------------------------------------
    def _chat(self) -> dict:
        return {"id": self.id, "type": "private", "first_name": self.user["first_name"]}

    def _base(self, content: dict) -> dict:
        return {
            "message_id": next(self.harness.ids),
            "date": int(time.time()),
            "chat": self._chat(),
            "from": self.user,
            **content,
        }

    def _message(self, content: dict) -> list[Reply]:
        return self.harness.handle(self, {"message": self._base(content)})


class BotHarness:
    """Start with :meth:`start` (the fixture does), stop with :meth:`stop`."""

    def __init__(self, fake: FakeTelegramAPI, *, token: str = TOKEN, timeout: float = 20.0) -> None:
        self.fake, self.token, self.timeout = fake, token, timeout
        self.ids = itertools.count(10_000)
        self.pressed: list[str] = []  # the ids of every button press pushed, oldest first
        self._done: set[int] = set()
        self._lock = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def person(self, user_id: int, first_name: str = "Test", *, language_code: str | None = "ru", **extra) -> Person:
        return Person(self, user_id, first_name, language_code, **extra)

    # --- life cycle --------------------------------------------------------------------------------------------
    def start(self, *, fresh: bool = True) -> BotHarness:
        """Start polling; ``fresh`` forgets dialog states and flood counters left in Redis by earlier tests."""
        from bot.dispatcher import dispatcher

        if fresh:
            forget_bot_keys()
        self._failure = None
        dispatcher().update.outer_middleware._middlewares.insert(0, self._record)  # outermost: sees every update
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), name="bot-under-test", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def restart(self) -> None:
        """Stop the bot and start it again, as a deployment does; dialog states stay in Redis."""
        self.stop(forget=False)
        self.start(fresh=False)

    def stop(self, *, forget: bool = True) -> None:
        from bot.dispatcher import dispatcher

        if self._loop is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(dispatcher().stop_polling(), self._loop).result(10)
        if self._thread is not None:
            self._thread.join(20)
        with contextlib.suppress(Exception):
            dispatcher().update.outer_middleware._middlewares.remove(self._record)
        if forget:
            forget_bot_keys()
        if self._failure is not None:
            raise self._failure

    def _run(self, started: threading.Event) -> None:
        from bot import redis as bot_redis
        from bot.dispatcher import build_bot, dispatcher, set_commands

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            # The process's one dispatcher keeps asyncio events of the loop that polled last; a test's loop is new.
            dispatcher()._stop_signal = dispatcher()._stopped_signal = None
            dispatcher()._running_lock = asyncio.Lock()
            bot = build_bot(token=self.token, api_url=self.fake.url)
            await set_commands(bot)
            started.set()
            try:
                await dispatcher().start_polling(bot, handle_signals=False, close_bot_session=True, polling_timeout=1)
            finally:
                await bot_redis.close()

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test at stop
            self._failure = exc
            started.set()

    async def _record(self, handler, event, data):
        try:
            return await handler(event, data)
        finally:
            with self._lock:
                self._done.add(event.update_id)
                self._lock.notify_all()

    # --- one update, and what came of it ------------------------------------------------------------------------
    def handle(self, person: Person, update: dict) -> list[Reply]:
        """Push ``update`` from ``person``, wait until the bot has handled it, return what it showed ``person``."""
        return self.handle_all(person, [update])

    def handle_all(self, person: Person, updates: list[dict]) -> list[Reply]:
        """Push ``updates`` together (one getUpdates answer carries them all), wait until the bot has handled every
        one, return what it showed ``person`` meanwhile."""
        before = len(self.fake.calls())
        pushed = self.fake.push_updates(updates)
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while any(update["update_id"] not in self._done for update in pushed):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._failure is not None:
                    raise TimeoutError(f"the bot did not finish updates {pushed} in {self.timeout} s")
                self._lock.wait(remaining)
        replies = [
            Reply(c)
            for c in self.fake.calls()[before:]
            if c.method in SHOWN and c.chat_id == str(person.id) and c.status == 200
        ]
        person.history.extend(replies)
        return replies

    def deliver(self) -> None:
        """Relay the events and send the notifications they queued (to the fake), as the Celery worker would."""
        from ukbot.core.events.relay import drain
        from ukbot.notifications.services import delivery

        drain(max_seconds=10)
        delivery.deliver_due(max_seconds=10)

    def answers(self) -> dict[str, list[Call]]:
        """The ``answerCallbackQuery`` calls the bot made, by the id of the press they answered."""
        by_press: dict[str, list[Call]] = {}
        for call in self.fake.calls("answerCallbackQuery"):
            by_press.setdefault(str(call.params.get("callback_query_id")), []).append(call)
        return by_press

    def shown_to(self, person: Person) -> list[Reply]:
        """Everything shown to ``person`` so far (including notifications sent outside the bot's handlers)."""
        return [Reply(c) for c in self.fake.calls() if c.method in SHOWN and c.chat_id == str(person.id)]


def forget_bot_keys() -> None:
    """Delete the bot's Redis keys (dialog states, locks, flood counters, newcomers' languages)."""
    client = redis_sync.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter("ukbot:bot:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
