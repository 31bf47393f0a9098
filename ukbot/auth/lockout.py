"""Brute-force protection for sign-in: failures counted per username and per IP in Redis, growing lockouts.

After ``LOGIN_MAX_FAILURES`` failures for a username (or ``LOGIN_MAX_FAILURES_PER_IP`` from one address) within
``LOGIN_FAILURE_WINDOW_SECONDS``, further attempts are refused for ``LOGIN_LOCKOUT_SECONDS``, doubling with each
lockout within a day. While locked, the right password does not get in either.

Each attempt takes its place in the count *before* the password or code is checked, in one Redis script that
also tells whether the caller is locked out or the count is full; checking first and counting after let
parallel guesses all pass the check before any was counted (60 at once got 27 tries instead of 5). A failure
keeps its place (and the one that fills the count starts the lockout); a success clears the username's count
and gives its place in the address's count back; an attempt that ends neither way (a second factor asked for,
a blocked account, an error) gives both back.

Redis not answering (down, or hung past ``REDIS_SOCKET_TIMEOUT``) fails closed: starting or failing an attempt
raises 503 SERVICE_UNAVAILABLE rather than let a guess through uncounted (decision 0033). Giving places back is
best-effort: the counts expire with their window anyway.
"""

from __future__ import annotations

import contextlib
import logging
import math
from typing import cast

import redis
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError
from ukbot.core.redis import redis_client

logger = logging.getLogger(__name__)

_DAY = 86400
_PREFIX = "ukbot:login:"

# KEYS: per subject its count and its lock; ARGV: per subject its limit, then the window in seconds.
# Returns the milliseconds of lockout left (> 0: refused, nothing counted), -1 when a count is full with the
# attempts still under way (refused, nothing counted), or 0 when the attempt is counted in every subject.
_BEGIN = """
local n = #ARGV - 1
local wait = 0
for i = 1, n do
    local left = redis.call('PTTL', KEYS[2 * i])
    if left > wait then wait = left end
end
if wait > 0 then return wait end
for i = 1, n do
    if tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0') >= tonumber(ARGV[i]) then return -1 end
end
for i = 1, n do
    if redis.call('INCR', KEYS[2 * i - 1]) == 1 then redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[n + 1]) end
end
return 0
"""
# KEYS: per subject its count, lock and strikes; ARGV: per subject its limit, then the first lockout and a day.
# A failure's place is already counted: when the count is full, the lockout starts (doubling with each strike
# that day) and the count starts again. Returns the longest lockout started, in seconds (0 for none).
_FAIL = """
local n = #ARGV - 2
local base, day = tonumber(ARGV[n + 1]), tonumber(ARGV[n + 2])
local started = 0
for i = 1, n do
    if tonumber(redis.call('GET', KEYS[3 * i - 2]) or '0') >= tonumber(ARGV[i]) then
        redis.call('DEL', KEYS[3 * i - 2])
        local strikes = redis.call('INCR', KEYS[3 * i])
        if strikes == 1 then redis.call('EXPIRE', KEYS[3 * i], day) end
        local seconds = math.floor(math.min(base * 2 ^ (strikes - 1), day))
        redis.call('SET', KEYS[3 * i - 1], '1', 'EX', seconds)
        if seconds > started then started = seconds end
    end
end
return started
"""
# KEYS: counts; ARGV: per count "clear" (delete it) or "return" (give one place back).
_GIVE_BACK = """
for i = 1, #KEYS do
    if ARGV[i] == 'clear' then
        redis.call('DEL', KEYS[i])
    elseif tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
        redis.call('DECR', KEYS[i])
    end
end
return 0
"""

# Seconds a client is asked to wait when the lockout cannot count: about a restart or failover of Redis.
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


def _client() -> redis.Redis:
    return redis_client()


def _eval(script: str, keys: list[str], *args: str | int) -> int:
    """Run a script; any Redis error (out of reach, timed out, refusing writes) is 503 SERVICE_UNAVAILABLE."""
    try:
        # Our scripts return integers; redis-py's types allow for its asyncio client too.
        return cast(int, _client().eval(script, len(keys), *keys, *args))
    except redis.RedisError as exc:
        logger.warning("sign-in lockout: Redis did not answer (%s); sign-in is refused until it does", exc)
        raise lockout_unavailable() from exc


def _subjects(username: str | None, ip: str | None) -> list[tuple[str, int]]:
    # No username (Telegram sign-in names nobody until its signature is checked): count by address only.
    subjects = [(f"user:{username.strip().lower()}", settings.LOGIN_MAX_FAILURES)] if username else []
    if ip:
        subjects.append((f"ip:{ip}", settings.LOGIN_MAX_FAILURES_PER_IP))
    return subjects


def _count(subject: str) -> str:
    return f"{_PREFIX}fail:{subject}"


def _lock(subject: str) -> str:
    return f"{_PREFIX}lock:{subject}"


def _strikes(subject: str) -> str:
    return f"{_PREFIX}strikes:{subject}"


class Attempt:
    """One sign-in attempt's place in the counts; end it with :meth:`fail`, :meth:`succeed` or :meth:`release`.

    ``wait`` is the seconds to wait when the attempt was refused (nothing counted, nothing to end), else 0.
    """

    def __init__(self, subjects: list[tuple[str, int]], wait: int) -> None:
        self._subjects = subjects
        self.wait = wait
        self._open = not wait and bool(subjects)

    def fail(self) -> int:
        """The attempt failed: keep its place; return the seconds of lockout it started (0 if none).

        :raises AppError: SERVICE_UNAVAILABLE when Redis does not answer.
        """
        if not self._open:
            return 0
        self._open = False
        keys = [
            key for subject, _limit in self._subjects for key in (_count(subject), _lock(subject), _strikes(subject))
        ]
        limits = [limit for _subject, limit in self._subjects]
        return _eval(_FAIL, keys, *limits, settings.LOGIN_LOCKOUT_SECONDS, _DAY)

    def succeed(self) -> None:
        """The attempt got in: clear the username's failures; give the address its place back."""
        self._give_back(clear_user=True)

    def release(self) -> None:
        """The attempt ended neither way (or not at all): give its places back. Does nothing once ended."""
        self._give_back(clear_user=False)

    def _give_back(self, *, clear_user: bool) -> None:
        if not self._open:
            return
        self._open = False
        keys = [_count(subject) for subject, _limit in self._subjects]
        modes = ["clear" if clear_user and subject.startswith("user:") else "return" for subject, _ in self._subjects]
        # The outcome is decided (and, on success, the session open): a place not given back only makes the count
        # stricter until its window ends.
        with contextlib.suppress(AppError):
            _eval(_GIVE_BACK, keys, *modes)


def attempt_begin(*, username: str | None, ip: str | None) -> Attempt:
    """Count a sign-in attempt for this username and address before its secret is checked.

    The returned attempt's ``wait`` is non-zero when it is refused: the username or address is locked out, or
    its count is already taken by failures and attempts under way. Otherwise end it with ``fail()``,
    ``succeed()`` or ``release()``; ``release()`` in a ``finally`` gives back the place of one that raised.

    :raises AppError: SERVICE_UNAVAILABLE when Redis does not answer (the attempt is refused, not let through).
    """
    subjects = _subjects(username, ip)
    if not subjects:
        return Attempt(subjects, 0)
    keys = [key for subject, _limit in subjects for key in (_count(subject), _lock(subject))]
    limits = [limit for _subject, limit in subjects]
    answer = _eval(_BEGIN, keys, *limits, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    wait = 1 if answer < 0 else math.ceil(answer / 1000)
    return Attempt(subjects, wait)


def too_many_attempts(wait: int) -> AppError:
    """The error for a locked-out sign-in: 429 TOO_MANY_ATTEMPTS with Retry-After (header and details)."""
    return AppError(
        "TOO_MANY_ATTEMPTS",
        _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": wait},
        details={"retry_after": str(wait)},
        headers={"Retry-After": str(wait)},
    )


def lockout_unavailable() -> AppError:
    """The error when the lockout cannot count an attempt: 503 SERVICE_UNAVAILABLE with Retry-After."""
    wait = UNAVAILABLE_RETRY_AFTER_SECONDS
    return AppError(
        "SERVICE_UNAVAILABLE",
        _("Sign-in is temporarily unavailable. Try again in %(seconds)d seconds.") % {"seconds": wait},
        details={"retry_after": str(wait)},
        headers={"Retry-After": str(wait)},
    )
