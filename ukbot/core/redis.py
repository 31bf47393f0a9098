"""The project's Redis clients: one shared client per URL and process, with the timeouts of the settings.

A Redis that hangs (the process stopped, a half-open connection, a failover) accepts the TCP connection and then
answers nothing; without timeouts every caller waits forever. Each call made through :func:`redis_client` gives up
after ``REDIS_CONNECT_TIMEOUT`` to connect and ``REDIS_SOCKET_TIMEOUT`` to be answered, raising one of
:data:`REDIS_DOWN`, and is not retried; the caller decides whether that fails open or closed (decision 0033).
redis-py's clients are thread-safe and their pools reconnect after a fork, so one client serves every thread.
"""

from __future__ import annotations

import threading

import redis
import redis.exceptions
from django.conf import settings

# Errors that mean Redis is out of reach or did not answer in time (the API answers them 503, see core.api.errors).
REDIS_DOWN: tuple[type[Exception], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

_clients: dict[tuple[str, float, float], redis.Redis] = {}
_lock = threading.Lock()


def redis_timeouts() -> dict[str, float]:
    """The timeouts every client gets, as redis-py's keyword arguments (the cache's OPTIONS are the same)."""
    return {"socket_timeout": settings.REDIS_SOCKET_TIMEOUT, "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT}


def redis_client(url: str | None = None) -> redis.Redis:
    """Return the process's client of ``url`` (default ``REDIS_URL``) with the configured timeouts."""
    timeouts = redis_timeouts()
    key = (url or settings.REDIS_URL, timeouts["socket_timeout"], timeouts["socket_connect_timeout"])
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                # from_url sets no retry policy, so a call that times out is not tried again.
                client = _clients[key] = redis.Redis.from_url(key[0], **timeouts)
    return client
