"""A delivery loop's heartbeat: a thread that, every second or so, renews the loop's slot in Redis, marks its
claims live in Redis and extends their leases in PostgreSQL, so that the slot and the lease can be short and a
killed worker's slot and rows are free again within seconds (decision 0035).

It renews only while the loop makes progress: a loop stuck longer than any step can take (a call, or recording an
outcome while PostgreSQL is away) stops being kept alive, and its rows are taken over as if it had died.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from redis import RedisError

from ukbot.notifications import ratelimit

logger = logging.getLogger(__name__)

# Only rows of this loop's claims that nobody is writing right now: the heartbeat never waits for a row lock.
_RENEW = """
    UPDATE "notifications"."notification" SET lease_until = %(lease_until)s
    WHERE id IN (
        SELECT id FROM "notifications"."notification"
        WHERE status = 'sending' AND lease_token = ANY(%(tokens)s)
        FOR UPDATE SKIP LOCKED
    )
"""


def interval_seconds() -> float:
    """How often a heartbeat beats: a second, or a quarter of the lease when that is shorter."""
    return min(1.0, settings.NOTIFICATIONS_LEASE_SECONDS / 4)


def stall_seconds() -> float:
    """How long the loop may go without progress and still be kept alive: longer than a call can take."""
    return 3 * settings.NOTIFICATIONS_HTTP_TIMEOUT_SECONDS + 10.0


class Heartbeat:
    """Keeps a loop's slot and claims alive from a daemon thread while the loop calls :meth:`progress`."""

    def __init__(self, *, slot: str, holder: str) -> None:
        self.slot = slot
        self.holder = holder
        self._tokens: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._progress_at = time.monotonic()
        self._stalled = False
        self._failing: set[str] = set()  # "redis", "postgresql": what the last beat could not reach
        self._thread = threading.Thread(target=self._run, name="notifications-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and forget the claims still held (their leases then run out unless released)."""
        self._stop.set()
        self._thread.join(timeout=10)
        with self._lock:
            tokens, self._tokens = self._tokens, set()
        self._drop(tokens)

    def progress(self) -> None:
        """The loop moved on: keep it alive for another :func:`stall_seconds`."""
        self._progress_at = time.monotonic()

    def track(self, token: uuid.UUID) -> None:
        """Keep this claim's rows leased while the loop lives."""
        self.progress()
        with self._lock:
            self._tokens.add(token)
        try:
            ratelimit.hold_leases([str(token)], ttl_seconds=settings.NOTIFICATIONS_LEASE_SECONDS)
        except RedisError:
            logger.warning("could not mark a notification claim live; the heartbeat will retry", exc_info=True)

    def release(self, token: uuid.UUID) -> None:
        """The claim's rows are all finished or handed back."""
        with self._lock:
            self._tokens.discard(token)
        self._drop({token})

    # --- the thread -------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.wait(interval_seconds()):
                if time.monotonic() - self._progress_at > stall_seconds():
                    if not self._stalled:
                        logger.error(
                            "notification delivery loop made no progress; no longer keeping its claims alive",
                            extra={"holder": self.holder, "seconds": round(time.monotonic() - self._progress_at)},
                        )
                    self._stalled = True
                    continue
                self._stalled = False
                self._beat()
        finally:
            connection.close()  # this thread's own connection

    def _beat(self) -> None:
        with self._lock:
            tokens = list(self._tokens)
        lease = settings.NOTIFICATIONS_LEASE_SECONDS
        try:
            ratelimit.refresh_loop_slot(self.slot, holder=self.holder, ttl_seconds=ratelimit.LOOP_SLOT_TTL_SECONDS)
            ratelimit.hold_leases([str(token) for token in tokens], ttl_seconds=lease)
            self._reached("redis")
        except RedisError:
            self._missed("redis")
        if not tokens:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(_RENEW, {"tokens": tokens, "lease_until": timezone.now() + timedelta(seconds=lease)})
            self._reached("postgresql")
        except DatabaseError:
            # PostgreSQL away: the live marks in Redis keep recovery off our rows; reconnect on the next beat.
            self._missed("postgresql")
            _close_quietly()

    def _missed(self, what: str) -> None:
        if what not in self._failing:  # once per outage, not every second
            logger.warning("notification heartbeat cannot reach %s", what, extra={"holder": self.holder}, exc_info=True)
        self._failing.add(what)

    def _reached(self, what: str) -> None:
        if what in self._failing:
            logger.warning("notification heartbeat reaches %s again", what, extra={"holder": self.holder})
        self._failing.discard(what)

    def _drop(self, tokens: set[uuid.UUID]) -> None:
        try:
            ratelimit.drop_leases(str(token) for token in tokens)
        except RedisError:
            logger.warning("could not drop notification claims; they expire by themselves", exc_info=True)


def _close_quietly() -> None:
    with contextlib.suppress(DatabaseError):
        connection.close()
