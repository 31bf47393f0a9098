"""Rate limits of the whole REST API (DESIGN §8, docs/decisions/0023), counted in Redis.

One throttle, :class:`ApiRateThrottle`, is every view's default (``DEFAULT_THROTTLE_CLASSES``). Each request
counts in one base bucket, ``user`` (signed in: per account) or ``anon`` (per client address, from
:func:`ukbot.core.client_address.client_ip`, never from a header an untrusted peer wrote), and in every stricter
bucket that applies to it: the ones a view names in ``rate_buckets`` (``sign_in``, ``uploads``, ``exports``,
``bulk_notifications``) and ``searches`` for any list read with ``?search=``. The limits are the settings
``API_RATE_<BUCKET>`` (``600/min``, ``off``), read on each request so tests can change them.

All the request's counters are checked and counted in one Redis script, in a fixed window per counter that
starts with its first request: over any limit, nothing is counted and the request is refused with the longest
wait among the full counters (DRF raises Throttled; the error handler answers 429 RATE_LIMITED with
Retry-After). Redis out of reach: buckets guarding sign-in and costly work fail closed (the outage becomes
503 SERVICE_UNAVAILABLE), the others fail open, logged, so reads keep working through a Redis outage.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from ukbot.core.client_address import client_ip
from ukbot.core.rates import Rate, rate_parse
from ukbot.core.redis import REDIS_DOWN, redis_client

logger = logging.getLogger(__name__)

PREFIX = "ukbot:rate:"
USER, ANON = "user", "anon"
SIGN_IN, UPLOADS, EXPORTS, SEARCHES, BULK_NOTIFICATIONS = (
    "sign_in",
    "uploads",
    "exports",
    "searches",
    "bulk_notifications",
)


@dataclass(frozen=True)
class Bucket:
    setting: str
    fail_closed: bool  # Redis out of reach: refuse (503) rather than let the request through uncounted


BUCKETS: dict[str, Bucket] = {
    USER: Bucket("API_RATE_USER", fail_closed=False),
    ANON: Bucket("API_RATE_ANON", fail_closed=False),
    SIGN_IN: Bucket("API_RATE_SIGN_IN", fail_closed=True),
    UPLOADS: Bucket("API_RATE_UPLOADS", fail_closed=True),
    EXPORTS: Bucket("API_RATE_EXPORTS", fail_closed=True),
    SEARCHES: Bucket("API_RATE_SEARCHES", fail_closed=False),
    BULK_NOTIFICATIONS: Bucket("API_RATE_BULK_NOTIFICATIONS", fail_closed=True),
}
# A slow Redis must not hold every request: a counter not answered within REDIS_SOCKET_TIMEOUT is an outage
# (REDIS_DOWN, the API's OUTAGES for Redis); the client is core.redis's, shared by the process.
# Fail-open refusals of Redis are logged at most this often per process, not once per request.
_LOG_EVERY_SECONDS = 10.0

# KEYS: the counters; ARGV: per counter its limit, then its window in milliseconds.
# Returns 0 when the request is counted in every counter, else the milliseconds until the fullest counter's
# window ends (nothing counted). A full counter without an expiry (cannot happen unless set by hand) gets one.
_TAKE = """
local wait = 0
for i = 1, #KEYS do
    if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 * i - 1]) then
        local left = redis.call('PTTL', KEYS[i])
        if left < 0 then
            redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
            left = tonumber(ARGV[2 * i])
        end
        if left > wait then wait = left end
    end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
    if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 0
"""

_scripts: dict[int, Any] = {}
_scripts_lock = threading.Lock()
_last_logged = 0.0


def _script(url: str) -> Any:
    """The counting script on the process's client of ``url`` (redis-py clients are thread-safe)."""
    client = redis_client(url)
    script = _scripts.get(id(client))
    if script is None:
        with _scripts_lock:
            script = _scripts.get(id(client))
            if script is None:
                script = _scripts[id(client)] = client.register_script(_TAKE)  # EVALSHA, loading it when missing
    return script


def key(bucket: str, subject: str) -> str:
    """The Redis key of a counter: ``ukbot:rate:<bucket>:<subject>``."""
    return f"{PREFIX}{bucket}:{subject}"


def address_subject(request: Any) -> str:
    """The client's address as a counter's subject; an IPv6 client counts by its /64, which one host usually
    holds whole (one counter per address would let it take a fresh one for each request)."""
    ip = client_ip(request)
    if ip is None:
        return "ip:unknown"  # a peer that is not an address (a Unix socket without a trusted proxy): one counter
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False).network_address}/64"
    return f"ip:{ip}"


def username_subject(username: str) -> str:
    """A username as a subject: hashed, so keys stay short and hold no personal data."""
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"name:{digest}"


def rate_of(bucket: str) -> Rate | None:
    """The bucket's limit from its setting; None when it is ``off``."""
    return rate_parse(getattr(settings, BUCKETS[bucket].setting))


class ApiRateThrottle(BaseThrottle):
    """Every API view's throttle: the base bucket and the stricter ones that apply, in one Redis round trip.

    A view names its stricter buckets in ``rate_buckets``; one that takes a username (password sign-in) names the
    input field in ``rate_username_field`` to count it per username as well as per address.
    """

    def __init__(self) -> None:
        self._wait = 0

    def counters(self, request: Any, view: Any) -> Iterator[tuple[str, str, Rate]]:
        """(bucket, key, rate) of each counter the request takes a place in; buckets that are off are left out."""
        user = getattr(request, "user", None)
        address = address_subject(request)
        signed_in = user is not None and user.is_authenticated
        own = f"account:{user.pk}" if user is not None and signed_in else address
        buckets = [USER if signed_in else ANON, *getattr(view, "rate_buckets", ())]
        if request.method == "GET" and request.query_params.get(api_settings.SEARCH_PARAM, "").strip():
            buckets.append(SEARCHES)
        for bucket in dict.fromkeys(buckets):
            rate = rate_of(bucket)
            if rate is None:
                continue
            if bucket == SIGN_IN:
                # Sign-in guards credentials, so it counts per address whoever is signed in; and per username too,
                # so that many addresses together cannot try one account faster.
                yield bucket, key(bucket, address), rate
                field = getattr(view, "rate_username_field", None)
                username = _field(request, field) if field else None
                if username:
                    yield bucket, key(bucket, username_subject(username)), rate
            else:
                yield bucket, key(bucket, own), rate

    def allow_request(self, request: Any, view: Any) -> bool:
        counters = list(self.counters(request, view))
        if not counters:
            return True
        keys = [counter_key for _bucket, counter_key, _rate in counters]
        args = [value for _b, _k, rate in counters for value in (rate.limit, rate.seconds * 1000)]
        try:
            wait_ms = cast(int, _script(settings.REDIS_URL)(keys=keys, args=args))
        except REDIS_DOWN:
            if any(BUCKETS[bucket].fail_closed for bucket, _k, _r in counters):
                raise  # the error handler answers 503 SERVICE_UNAVAILABLE with Retry-After
            _log_fail_open()
            return True
        if wait_ms <= 0:
            return True
        self._wait = max(1, math.ceil(wait_ms / 1000))
        return False

    def wait(self) -> float | None:
        return self._wait or None


def _field(request: Any, name: str) -> str | None:
    # The body is parsed here, before the view: a malformed one is refused as the view would refuse it.
    data = request.data
    value = data.get(name) if hasattr(data, "get") else None
    return value if isinstance(value, str) and value.strip() else None


def _log_fail_open() -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("rate limits: Redis is out of reach; requests pass uncounted where limits fail open")
