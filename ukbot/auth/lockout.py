"""Brute-force protection for sign-in: failures counted per username and per IP in Redis, growing lockouts.

After ``LOGIN_MAX_FAILURES`` failures for a username (or ``LOGIN_MAX_FAILURES_PER_IP`` from one address) within
``LOGIN_FAILURE_WINDOW_SECONDS``, further attempts are refused for ``LOGIN_LOCKOUT_SECONDS``, doubling with each
lockout within a day. While locked, the right password does not get in either.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError

_DAY = 86400


def _keys(kind: str, value: str) -> tuple[str, str, str]:
    return f"login:fail:{kind}:{value}", f"login:lock:{kind}:{value}", f"login:strikes:{kind}:{value}"


def _subjects(username: str | None, ip: str | None) -> list[tuple[str, str, int]]:
    # No username (Telegram sign-in names nobody until its signature is checked): count by address only.
    subjects = [("user", username.strip().lower(), settings.LOGIN_MAX_FAILURES)] if username else []
    if ip:
        subjects.append(("ip", ip, settings.LOGIN_MAX_FAILURES_PER_IP))
    return subjects


def locked_for(*, username: str | None, ip: str | None) -> int:
    """Seconds until sign-in is allowed again for this username or address; 0 when it is allowed now."""
    now = time.time()
    waits = []
    for kind, value, _limit in _subjects(username, ip):
        until = cache.get(_keys(kind, value)[1])
        if until:
            waits.append(float(until) - now)
    wait = max(waits, default=0)
    return int(wait) + 1 if wait > 0 else 0


def record_failure(*, username: str | None, ip: str | None) -> int:
    """Count a failure; return the seconds of lockout it started (0 if none)."""
    started = 0
    for kind, value, limit in _subjects(username, ip):
        failures_key, lock_key, strikes_key = _keys(kind, value)
        cache.add(failures_key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        if cache.incr(failures_key) < limit:
            continue
        cache.delete(failures_key)
        cache.add(strikes_key, 0, timeout=_DAY)
        strikes = cache.incr(strikes_key)
        seconds = min(settings.LOGIN_LOCKOUT_SECONDS * 2 ** (strikes - 1), _DAY)
        cache.set(lock_key, time.time() + seconds, timeout=seconds)
        started = max(started, seconds)
    return started


def record_success(*, username: str) -> None:
    """A successful sign-in clears the username's failure count (not its lockout history)."""
    cache.delete(_keys("user", username.strip().lower())[0])


def too_many_attempts(wait: int) -> AppError:
    """The error for a locked-out sign-in: 429 TOO_MANY_ATTEMPTS with Retry-After (header and details)."""
    return AppError(
        "TOO_MANY_ATTEMPTS",
        _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": wait},
        details={"retry_after": str(wait)},
        headers={"Retry-After": str(wait)},
    )
