"""The one place that wires the bot: API server, session, dispatcher and routers, then long polling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import TelegramObject

from bot.handlers import routers

# How long a stopping bot lets updates in hand finish (their replies still need the HTTP session).
SHUTDOWN_GRACE_SECONDS = 10.0


class InFlightUpdates(BaseMiddleware):
    """Counts the updates being handled, so that shutdown can wait for them before the session closes.

    aiogram runs each update as a task and, on SIGTERM, closes the HTTP session without waiting for those
    tasks: a reply being sent at that moment would fail half-way.
    """

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
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


def build_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    in_flight = InFlightUpdates()
    dispatcher.update.outer_middleware(in_flight)

    async def _finish_in_flight() -> None:
        await in_flight.wait_idle(SHUTDOWN_GRACE_SECONDS)

    dispatcher.shutdown.register(_finish_in_flight)
    dispatcher.include_routers(*routers())
    return dispatcher


def build_bot(*, token: str, api_url: str) -> Bot:
    # TELEGRAM_API_URL lets a local Bot API server (or a test's fake) stand in for api.telegram.org.
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token=token, session=session)


async def run_polling(*, token: str, api_url: str) -> None:
    """Poll for updates until SIGINT or SIGTERM, let updates in hand finish, then close the HTTP session."""
    bot = build_bot(token=token, api_url=api_url)
    dispatcher = build_dispatcher()
    try:
        # getUpdates is refused while a webhook is set; keep pending updates, they are real users' messages.
        await bot.delete_webhook(drop_pending_updates=False)
    except BaseException:
        await bot.session.close()
        raise
    # aiogram turns SIGINT/SIGTERM into a stop of polling, then runs the shutdown hooks, then closes the session.
    await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=True)
