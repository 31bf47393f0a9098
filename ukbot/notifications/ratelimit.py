"""Telegram's send limits and the cap on delivery loops, shared by every worker process through Redis (0011).

Each limit is a "next free slot" per key (GCRA without bursts): a send may go when the slot has come, and then
moves it one interval on. Redis' own clock decides, so processes on several hosts agree. A 429 pushes the slot
of its chat back by ``retry_after``; 429s for two different chats within a second mean the bot as a whole is
flooding, and then the global slot is pushed back too.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis
from django.conf import settings

_PREFIX = "ukbot:notifications:tg:"
GLOBAL_KEY = _PREFIX + "global"
LAST_429_KEY = _PREFIX + "last429"

# KEYS[1]: the slot; ARGV[1]: interval in µs. Returns 0 and takes the slot, or the µs to wait for it.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if free > now then
    return free - now
end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', now + interval), 'PX', math.floor(interval / 1000) + 1000)
return 0
"""
# KEYS[1]: the slot; ARGV[1]: µs from now before which nothing may go.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > free then
    redis.call('SET', KEYS[1], string.format('%d', until_), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
"""


def _client() -> redis.Redis:
    # The process's shared client, with the timeouts of the settings (decision 0033).
    from ukbot.core.redis import redis_client

    return redis_client()


def _chat_key(chat_id: str) -> str:
    return f"{_PREFIX}chat:{chat_id}"


def _reserve(key: str, interval_s: float) -> float:
    waited_us = _client().eval(_RESERVE, 1, key, int(interval_s * 1_000_000))
    return int(waited_us) / 1_000_000


def reserve_chat(chat_id: str) -> float:
    """Take the chat's next slot now and return 0, or return the seconds until it is free (nothing taken)."""
    return _reserve(_chat_key(chat_id), settings.TELEGRAM_CHAT_INTERVAL_MS / 1000)


def reserve_global() -> float:
    """Take the bot's next send slot now and return 0, or return the seconds until it is free (nothing taken)."""
    return _reserve(GLOBAL_KEY, 1.0 / settings.TELEGRAM_RATE_PER_SECOND)


def penalize(chat_id: str, retry_after: float) -> bool:
    """Hold the chat for ``retry_after`` seconds after a 429; hold the whole bot if another chat just got one.

    Return whether the whole bot was held.
    """
    client = _client()
    client.eval(_PAUSE, 1, _chat_key(chat_id), int(retry_after * 1_000_000))
    previous = client.set(LAST_429_KEY, chat_id, px=1000, get=True)
    if previous is not None and previous.decode() != str(chat_id):
        client.eval(_PAUSE, 1, GLOBAL_KEY, int(retry_after * 1_000_000))
        return True
    return False


# --- delivery loops ------------------------------------------------------------------------------------------
# At most this many delivery loops run at once, whichever processes they are in. One loop sends far faster than
# Telegram allows; the second covers a loop stuck in a slow call. Without a cap every beat sweep during a bulk send
# would start one more loop waiting on the same limits, until no worker process was left for the event relay.
LOOP_SLOTS = 2
# A loop's heartbeat renews its slot every second or so; a killed loop's slot is free again after this.
LOOP_SLOT_TTL_SECONDS = 3.0
_LOOP_PREFIX = "ukbot:notifications:loop:"
# KEYS[1]: the slot; ARGV[1]: its holder; ARGV[2]: ms. Extend the slot only if it is still ours.
_REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_FREE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def take_loop_slot(*, holder: str, ttl_seconds: float) -> str | None:
    """Take a free delivery-loop slot for ``ttl_seconds`` and return its key, or None when all are taken."""
    client = _client()
    for index in range(LOOP_SLOTS):
        key = f"{_LOOP_PREFIX}{index}"
        if client.set(key, holder, nx=True, px=int(ttl_seconds * 1000)):
            return key
    return None


def refresh_loop_slot(key: str, *, holder: str, ttl_seconds: float) -> bool:
    """Keep the slot for another ``ttl_seconds``; False if it expired and went to another loop meanwhile."""
    return bool(_client().eval(_REFRESH, 1, key, holder, int(ttl_seconds * 1000)))


def free_loop_slot(key: str, *, holder: str) -> None:
    _client().eval(_FREE, 1, key, holder)


# --- live leases -----------------------------------------------------------------------------------------------
# A loop's heartbeat keeps one key per claim (lease token) here while the loop lives, even when PostgreSQL is down
# and the lease there cannot be renewed: recovery leaves a row alone while its token is live (decision 0035).
_LEASE_PREFIX = "ukbot:notifications:lease:"


def hold_leases(tokens: Iterable[str], *, ttl_seconds: float) -> None:
    """Mark these lease tokens live for ``ttl_seconds`` more."""
    tokens = list(tokens)
    if not tokens:
        return
    pipe = _client().pipeline(transaction=False)
    for token in tokens:
        pipe.set(_LEASE_PREFIX + token, "1", px=int(ttl_seconds * 1000))
    pipe.execute()


def drop_leases(tokens: Iterable[str]) -> None:
    keys = [_LEASE_PREFIX + token for token in tokens]
    if keys:
        _client().delete(*keys)


def live_leases(tokens: Iterable[str]) -> set[str]:
    """The tokens among these whose loop is alive (its heartbeat renewed them within their TTL)."""
    tokens = list(tokens)
    if not tokens:
        return set()
    values = _client().mget([_LEASE_PREFIX + token for token in tokens])
    return {token for token, value in zip(tokens, values, strict=True) if value is not None}


def reset() -> None:
    """Forget every slot and pause (tests and benchmarks start from a clean state)."""
    client = _client()
    keys = list(client.scan_iter(match=_PREFIX + "*", count=1000))
    keys += list(client.scan_iter(match=_LOOP_PREFIX + "*", count=100))
    keys += list(client.scan_iter(match=_LEASE_PREFIX + "*", count=1000))
    if keys:
        client.delete(*keys)
