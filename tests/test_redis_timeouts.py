"""Every Redis client of the project waits at most the configured timeouts (decision 0033)."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.cache import cache

from bot import redis as bot_redis
from ukbot.auth import lockout
from ukbot.celery import app
from ukbot.core.api import throttling
from ukbot.core.redis import redis_client
from ukbot.notifications import ratelimit


def _timeouts(client) -> tuple[float, float]:
    kwargs = client.connection_pool.connection_kwargs
    return kwargs["socket_timeout"], kwargs["socket_connect_timeout"]


def test_the_shared_clients_take_the_timeouts_of_the_settings(settings):
    settings.REDIS_SOCKET_TIMEOUT, settings.REDIS_CONNECT_TIMEOUT = 0.7, 0.3

    assert _timeouts(redis_client()) == (0.7, 0.3)
    assert lockout._client() is redis_client()
    assert ratelimit._client() is redis_client()
    assert throttling._script(settings.REDIS_URL).registered_client is redis_client()


def test_the_bots_asyncio_client_takes_them_too(settings):
    settings.REDIS_SOCKET_TIMEOUT, settings.REDIS_CONNECT_TIMEOUT = 0.7, 0.3

    async def created() -> tuple[float, float]:
        try:
            return _timeouts(bot_redis.redis())
        finally:
            await bot_redis.close()

    assert asyncio.run(created()) == (0.7, 0.3)


def test_the_cache_and_the_broker_have_the_default_timeouts():
    assert (settings.REDIS_SOCKET_TIMEOUT, settings.REDIS_CONNECT_TIMEOUT) == (1.0, 1.0)
    assert _timeouts(cache._cache.get_client()) == (1.0, 1.0)  # type: ignore[attr-defined]
    # at least 2 s for the broker: kombu's BRPOP answers an empty queue after 1 s
    assert app.conf.broker_transport_options == {"socket_timeout": 2.0, "socket_connect_timeout": 1.0}
    assert app.conf.task_publish_retry_policy["max_retries"] == 1
