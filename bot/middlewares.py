"""What runs around every update: in-flight accounting, the person and their language, per-person order, and
flood control; and around every Bot API call: one answer per button press. Wired in :mod:`bot.dispatcher`."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from django.conf import settings
from django.utils import translation
from redis.asyncio import Redis

from bot.i18n import _
from bot.person import Person, language_of, person_of
from bot.redis import language_recall
from bot.sync import call

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class InFlightUpdates(BaseMiddleware):
    """Counts the updates being handled, so that shutdown can wait for them before the session closes.

    aiogram runs each update as a task and, on SIGTERM, closes the HTTP session without waiting for those
    tasks: a reply being sent at that moment would fail half-way.
    """

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> None:
        await asyncio.sleep(0)  # let update tasks created just before the stop enter the middleware
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)


def _user_of(event: TelegramObject, data: dict[str, Any]) -> User | None:
    return data.get("event_from_user")


async def person_and_language(user: User | None) -> tuple[Person | None, str]:
    """The person behind a Telegram user (None for a newcomer) and the language to speak to them in: their
    profile's, else the one a newcomer chose at /start (kept in Redis until they have a profile), else their
    Telegram client's."""
    person: Person | None = None
    if user is not None and not user.is_bot:
        person = await call(person_of, user.id)
    language = person.language if person else None
    if language is None and user is not None:
        language = await language_recall(user.id) or language_of(user.language_code)
    return person, language or language_of(None)


class PersonMiddleware(BaseMiddleware):
    """Loads the person once per update (``data["person"]``, None for a newcomer) and activates their language
    (``data["language"]``, see :func:`person_and_language`)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        person, language = await person_and_language(_user_of(event, data))
        data["person"], data["language"] = person, language
        with translation.override(language):
            if person is not None and person.blocked:
                await _refuse_blocked(event)
                return None
            return await handler(event, data)


async def _refuse_blocked(update: TelegramObject) -> None:
    text = _("Your access is blocked. Please contact the management company.")
    if isinstance(update, Update) and update.callback_query is not None:
        with suppress(Exception):
            await update.callback_query.answer(text, show_alert=True)
    elif isinstance(update, Update) and update.message is not None:
        with suppress(Exception):
            await update.message.answer(text)


class PersonLock(BaseMiddleware):
    """One update of a person at a time, across every bot process (a Redis lock per Telegram user).

    aiogram handles updates concurrently; without this, a double tap on Confirm could run the confirmation twice
    before the dialog state records that it was done. The second tap waits, then finds the dialog finished.
    """

    def __init__(self, redis: Callable[[], Redis], *, timeout: float = 60.0, wait: float = 30.0) -> None:
        self._redis, self._timeout, self._wait = redis, timeout, wait

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = _user_of(event, data)
        if user is None:
            return await handler(event, data)
        lock = self._redis().lock(f"ukbot:bot:lock:{user.id}", timeout=self._timeout, blocking_timeout=self._wait)
        acquired = await lock.acquire()
        try:
            return await handler(event, data)
        finally:
            if acquired:
                with suppress(Exception):  # expired meanwhile: nothing left to release
                    await lock.release()


class Throttle(BaseMiddleware):
    """Flood control per Telegram user: at most ``rate`` updates per ``period`` seconds (counted in Redis, so
    every bot process shares the count; ``BOT_FLOOD_RATE`` and ``BOT_FLOOD_PERIOD`` unless given). The first update
    over the limit gets one polite answer, in the person's language; the rest of the burst is dropped unanswered."""

    def __init__(self, redis: Callable[[], Redis], *, rate: int | None = None, period: int | None = None) -> None:
        self._redis, self._rate, self._period = redis, rate, period

    @property
    def rate(self) -> int:
        return self._rate if self._rate is not None else settings.BOT_FLOOD_RATE

    @property
    def period(self) -> int:
        return self._period if self._period is not None else settings.BOT_FLOOD_PERIOD

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = _user_of(event, data)
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        key = f"ukbot:bot:flood:{user.id}"
        redis = self._redis()
        rate = self.rate
        # The window starts with the burst's first update (SET … NX EX) and INCR keeps its TTL; EXPIRE … NX would
        # say the same in one command, but needs Redis 7 and the embedded server of `make run`/`make test` is 6.2.
        async with redis.pipeline(transaction=True) as pipe:
            _started, count = await pipe.set(key, 0, ex=self.period, nx=True).incr(key).execute()
        if count <= rate:
            return await handler(event, data)
        if count == rate + 1:
            # Once a burst: worth a look-up of the person's language (the client's may not be the one they chose).
            _person, language = await person_and_language(user)
            with translation.override(language):
                text = _("You are sending messages too fast. Please wait a few seconds and try again.")
            target = event.message or (event.callback_query.message if event.callback_query else None)
            if event.callback_query is not None:
                with suppress(Exception):
                    await event.callback_query.answer(text, show_alert=True)
            elif isinstance(target, Message):
                with suppress(Exception):
                    await target.answer(text)
        log.info("bot: update %s of user %s dropped by flood control", event.update_id, user.id)
        return None


class AnswerOnce(BaseRequestMiddleware):
    """A request middleware of the bot's HTTP session: each button press is answered at most once.

    Telegram refuses a second answer to a press ("query is too old … or query ID is invalid"); code that answers
    again (a handler, then the error handler explaining a refusal) would get an exception and, with it, lose the
    message it was about to send. The first answer goes out; later ones are not sent and succeed here. A dropped
    answer that carried text is logged: that text never reached the person, so the code should say it otherwise.
    """

    def __init__(self, *, remember: int = 10_000) -> None:
        self._answered: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        query_id = method.callback_query_id
        if query_id in self._answered:
            if method.text:
                log.warning("bot: a second answer to press %s was not sent: %r", query_id, method.text)
            return cast(Response[TelegramType], Response[bool](ok=True, result=True))
        self._answered[query_id] = None
        while len(self._answered) > self._remember:
            self._answered.popitem(last=False)
        return await make_request(bot, method)


async def reply(event: TelegramObject, text: str, **kwargs: Any) -> None:
    """Answer a message or a button press with a new message in the same chat."""
    if isinstance(event, CallbackQuery):
        with suppress(Exception):
            await event.answer()
        if event.message is not None:
            await event.message.answer(text, **kwargs)
    elif isinstance(event, Message):
        await event.answer(text, **kwargs)
