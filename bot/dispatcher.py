"""The one place that wires the bot: API server, session, dispatcher, middlewares, storage and routers.

The dispatcher is built once per process (aiogram's routers can be attached to one dispatcher only); the bot
object (an HTTP session) is per event loop: long polling keeps one, a webhook request makes its own.
"""

from __future__ import annotations

import logging
from functools import cache

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeDefault
from django.utils import translation

from bot import redis as bot_redis
from bot.handlers import routers
from bot.i18n import __
from bot.middlewares import AnswerOnce, InFlightUpdates, PersonLock, PersonMiddleware, Throttle
from bot.person import DEFAULT_LANGUAGE, LANGUAGES
from bot.sync import close_connections

log = logging.getLogger(__name__)

# How long a stopping bot lets updates in hand finish (their replies still need the HTTP session).
SHUTDOWN_GRACE_SECONDS = 10.0
COMMANDS = (
    ("start", __("Start or restart")),
    ("menu", __("Main menu")),
    ("cancel", __("Stop what you are doing")),
    ("lang", __("Change language")),
    ("help", __("Help")),
)


@cache
def dispatcher() -> Dispatcher:
    """Return the process's dispatcher: Redis dialog state, the middlewares, every router."""
    # aiogram would register its dialog-state middleware first, reading the state before our per-person lock: a
    # double tap's second update then waited for the lock and ran on the state the first had just finished with
    # (a second request filed from a spent dialog, registration run twice). The state is read under the lock.
    built = Dispatcher(storage=bot_redis.LoopLocalRedisStorage(), disable_fsm=True)
    in_flight = InFlightUpdates()
    built.update.outer_middleware(in_flight)
    built.update.outer_middleware(Throttle(bot_redis.redis))
    built.update.outer_middleware(PersonLock(bot_redis.redis))
    built.update.outer_middleware(built.fsm)
    built.update.outer_middleware(PersonMiddleware())

    async def _finish_in_flight() -> None:
        await in_flight.wait_idle(SHUTDOWN_GRACE_SECONDS)
        await close_connections()

    built.shutdown.register(_finish_in_flight)
    built.include_routers(*routers())
    return built


def build_bot(*, token: str, api_url: str) -> Bot:
    """A bot (HTTP session) for the running loop; messages are HTML, so people's text must be escaped."""
    # TELEGRAM_API_URL lets a local Bot API server (or a test's fake) stand in for api.telegram.org.
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(AnswerOnce())
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def set_commands(bot: Bot) -> None:
    """Register the command menu in every language (Telegram shows the one of the user's client language)."""
    for language in LANGUAGES:
        with translation.override(language):
            commands = [BotCommand(command=name, description=str(text)) for name, text in COMMANDS]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=None if language == DEFAULT_LANGUAGE else language
        )


async def run_polling(*, token: str, api_url: str) -> None:
    """Poll for updates until SIGINT or SIGTERM, let updates in hand finish, then close the HTTP session."""
    bot = build_bot(token=token, api_url=api_url)
    try:
        # getUpdates is refused while a webhook is set; keep pending updates, they are real users' messages.
        await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot)
    except BaseException:
        await bot.session.close()
        raise
    try:
        # aiogram turns SIGINT/SIGTERM into a stop of polling, then runs the shutdown hooks, then closes the session.
        await dispatcher().start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        await bot_redis.close()
