"""The bot's Redis: one asyncio client per event loop (the webhook view runs each request on a loop of its own
under WSGI; polling runs one loop for its whole life), the dialog state storage, and newcomers' languages."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from django.conf import settings
from redis.asyncio import Redis

from ukbot.core.redis import redis_timeouts

KEY_PREFIX = "ukbot:bot"
# A dialog left in the middle is forgotten after a week; a restart of the bot within that time resumes it.
STATE_TTL = 7 * 24 * 3600
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis] = weakref.WeakKeyDictionary()


def redis() -> Redis:
    """Return the Redis client of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        # The project's timeouts (decision 0033): a hung Redis fails the update instead of holding the bot.
        client = _clients[loop] = Redis.from_url(settings.REDIS_URL, **redis_timeouts())
    return client


async def close() -> None:
    """Close the running loop's client (at the end of polling or of a webhook request)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


class LoopLocalRedisStorage(BaseStorage):
    """aiogram's Redis FSM storage, with the client of whichever event loop is running."""

    def __init__(self) -> None:
        self._key_builder = DefaultKeyBuilder(prefix=f"{KEY_PREFIX}:fsm", with_bot_id=True)

    def _storage(self) -> RedisStorage:
        return RedisStorage(redis(), key_builder=self._key_builder, state_ttl=STATE_TTL, data_ttl=STATE_TTL)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._storage().set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._storage().get_state(key)

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        await self._storage().set_data(key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self._storage().get_data(key)

    async def close(self) -> None:
        await close()


def _language_key(telegram_id: int) -> str:
    return f"{KEY_PREFIX}:language:{telegram_id}"


async def language_remember(telegram_id: int, language: str) -> None:
    """Keep the language a newcomer chose before they have a profile to keep it in."""
    await redis().set(_language_key(telegram_id), language, ex=STATE_TTL)


async def language_recall(telegram_id: int) -> str | None:
    """Return the language a newcomer chose, if any."""
    value = await redis().get(_language_key(telegram_id))
    return value.decode() if value else None
