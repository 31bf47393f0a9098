"""Calling the apps from the bot's event loop: every database call runs in a worker thread, never on the loop.

Handlers ``await call(services.something, ...)``. The call runs through ``sync_to_async`` (one thread for all
database work, as Django's async views do), with stale connections closed before and after, as Django does around
each HTTP request, so a bot that runs for weeks survives a database restart. The active language (set per update
by :class:`bot.middlewares.PersonMiddleware`) is carried into the thread, so errors come back translated.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection, connections
from django.utils import translation

T = TypeVar("T")


def _tidy_connections() -> None:
    # Inside a transaction (a webhook request's thread under a test's atomic block) the connection is in use.
    if not connection.in_atomic_block:
        close_old_connections()


def _run(function: Callable[..., T], language: str | None, args: tuple, kwargs: dict) -> T:
    _tidy_connections()
    try:
        if language:
            with translation.override(language):
                return function(*args, **kwargs)
        return function(*args, **kwargs)
    finally:
        _tidy_connections()


async def call(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``function(*args, **kwargs)`` (synchronous, may use the database) in the database thread; return its
    result. Exceptions (``AppError`` and the like) come back to the caller as raised."""
    return await sync_to_async(partial(_run, function, translation.get_language(), args, kwargs))()


async def close_connections() -> None:
    """Close the database thread's connections (when the bot stops, so nothing is left open on the server)."""
    await sync_to_async(connections.close_all)()
