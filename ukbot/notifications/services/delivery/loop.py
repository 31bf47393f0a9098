"""The delivery loop: claim due rows under a lease, send them one by one, and take over rows whose worker's lease
ran out (decision 0011)."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from ukbot.notifications import ratelimit
from ukbot.notifications.models import Channel, ChannelSetting, DeliveryAttempt, Notification
from ukbot.notifications.services.delivery.heartbeat import Heartbeat
from ukbot.notifications.services.delivery.queue import KICK_KEY, kick_delivery
from ukbot.notifications.services.delivery.send import (
    _failed_changes,
    _finish_without_call,
    _publish_failed,
    _release,
    _send_one,
    _worker_name,
)

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 50
# When the next row is due this soon, the loop waits for it instead of leaving it to the next sweep.
MAX_IDLE_WAIT_SECONDS = 1.5
# Expired leases are looked for at most this often by one loop (they expire after NOTIFICATIONS_LEASE_SECONDS).
RECOVER_EVERY_SECONDS = 1.0

Status = Notification.Status
Outcome = DeliveryAttempt.Outcome


_CLAIM = """
    WITH due AS (
        SELECT id FROM "notifications"."notification"
        WHERE status = 'queued' AND next_attempt_at <= %(now)s
        ORDER BY urgent DESC, next_attempt_at, id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    UPDATE "notifications"."notification" AS n
    SET status = 'sending', lease_token = %(token)s, lease_until = %(lease_until)s
    FROM due WHERE n.id = due.id
    RETURNING n.id
"""


def deliver_due(*, batch: int = DEFAULT_BATCH, max_seconds: float = 50.0) -> int:
    """Send due notifications until none is due or time is up; return how many ended sent or failed.

    Return 0 at once when ``ratelimit.LOOP_SLOTS`` loops already run somewhere: they send what is due.
    """
    holder = f"{_worker_name()}:{uuid.uuid4().hex[:8]}"
    slot = ratelimit.take_loop_slot(holder=holder, ttl_seconds=ratelimit.LOOP_SLOT_TTL_SECONDS)
    if slot is None:
        return 0
    heartbeat = Heartbeat(slot=slot, holder=holder).start()
    try:
        finished, out_of_time = _drain(batch=batch, max_seconds=max_seconds, heartbeat=heartbeat)
    finally:
        heartbeat.stop()
        ratelimit.free_loop_slot(slot, holder=holder)
    if out_of_time:
        # Work is left: hand over to a fresh task now (its slot is free again) rather than leave the rows to the
        # next kick, which our unexpired kick mark would hold back, or to the sweep.
        from django.core.cache import cache

        cache.delete(KICK_KEY)
        kick_delivery()
    return finished


def _drain(*, batch: int, max_seconds: float, heartbeat: Heartbeat) -> tuple[int, bool]:
    from django.core.cache import cache

    deadline = time.monotonic() + max_seconds
    finished = 0
    rechecked = False
    recovery = _Recovery()
    while time.monotonic() < deadline:
        heartbeat.progress()
        finished += recovery.when_due()
        claimed = _claim(batch)
        if claimed:
            rechecked = False
            token = claimed[0][1]
            heartbeat.track(token)
            try:
                finished += _send_batch(claimed, heartbeat=heartbeat, recovery=recovery)
            finally:
                heartbeat.release(token)
            continue
        wait = _seconds_to_next_due()
        if wait is not None and wait <= MAX_IDLE_WAIT_SECONDS and time.monotonic() + wait < deadline:
            time.sleep(max(wait, 0.05))  # ≤ 0: due, but another worker is claiming it right now
            continue
        if rechecked:
            return finished, False
        # Let the next commit kick a new task, then look once more so no commit slips between the two.
        cache.delete(KICK_KEY)
        rechecked = True
    return finished, True


class _Recovery:
    """Looks for expired leases at most every RECOVER_EVERY_SECONDS, between batches and between sends, so that a
    dead worker's rows are taken over soon after their lease ran out even while this loop is busy."""

    def __init__(self) -> None:
        self._last = 0.0

    def when_due(self) -> int:
        if time.monotonic() - self._last < RECOVER_EVERY_SECONDS:
            return 0
        self._last = time.monotonic()
        return recover_expired()


def _claim(limit: int) -> list[tuple[Notification, uuid.UUID]]:
    token = uuid.uuid4()
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM, {"now": now, "limit": limit, "token": token, "lease_until": lease_until})
        ids = [row[0] for row in cursor.fetchall()]
    rows = Notification.objects.filter(pk__in=ids).order_by("-urgent", "next_attempt_at", "id")
    return [(notification, token) for notification in rows]


def _seconds_to_next_due() -> float | None:
    due = Notification.objects.filter(status=Status.QUEUED).aggregate(first=Min("next_attempt_at"))["first"]
    return None if due is None else (due - timezone.now()).total_seconds()


def recover_expired(*, limit: int = 500) -> int:
    """Take over `sending` rows whose worker's lease ran out; return how many of them failed.

    A row whose claim is still live in Redis is left alone: its loop's heartbeat could not reach PostgreSQL (an
    outage), and the loop will record what it did. Without an attempt in flight the row was never handed to its
    channel and goes back to the queue. With one, the worker died during the call: the message may have gone
    out, so the row fails (``outcome_unknown``) rather than risk sending it twice. Should that worker still come
    back with the outcome, it records it over ``outcome_unknown`` (``send._record``).
    """
    now = timezone.now()
    failed = 0
    with transaction.atomic():
        expired = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, lease_until__lt=now)
            .order_by("lease_until")[:limit]
        )
        live = ratelimit.live_leases({str(n.lease_token) for n in expired if n.lease_token})
        expired = [n for n in expired if str(n.lease_token) not in live]
        if not expired:
            return 0
        in_flight = {
            attempt.notification_id: attempt
            for attempt in DeliveryAttempt.objects.filter(notification__in=expired, outcome=Outcome.IN_FLIGHT)
        }
        for notification in expired:
            attempt = in_flight.get(notification.pk)
            if attempt is None:
                notification.status = Status.QUEUED
                notification.next_attempt_at = now
                notification.lease_until = notification.lease_token = None
                notification.save(update_fields=["status", "next_attempt_at", "lease_until", "lease_token"])
                continue
            attempt.outcome = Outcome.UNKNOWN
            attempt.error = "the worker stopped during the call; the message may or may not have been sent"
            attempt.finished_at = now
            attempt.save(update_fields=["outcome", "error", "finished_at"])
            for column, value in _failed_changes("outcome_unknown", attempt.error, now).items():
                setattr(notification, column, value)
            notification.lease_until = notification.lease_token = None
            notification.save(
                update_fields=["status", "failure_reason", "last_error", "finished_at", "lease_until", "lease_token"]
            )
            _publish_failed(notification)
            failed += 1
            logger.warning(
                "notification outcome unknown after a worker stopped mid-call",
                extra={"notification_id": notification.pk, "attempt": attempt.number, "worker": attempt.worker},
            )
    return failed


def _send_batch(claimed: list[tuple[Notification, uuid.UUID]], *, heartbeat: Heartbeat, recovery: _Recovery) -> int:
    finished = 0
    switched_off = set(
        ChannelSetting.objects.filter(
            account_id__in={n.account_id for n, _ in claimed},
            channel__in={n.channel for n, _ in claimed},
            enabled=False,
        ).values_list("account_id", "channel")
    )
    telegram_paused_until: datetime | None = None
    for notification, token in claimed:
        heartbeat.progress()
        finished += recovery.when_due()
        if (notification.account_id, notification.channel) in switched_off:
            outcome = _finish_without_call(
                notification, token, reason="channel_off", error="the person has this channel off"
            )
        elif telegram_paused_until is not None and notification.channel == Channel.TELEGRAM:
            # The whole bot must wait: hand the row back instead of holding it under our lease.
            outcome = _release(notification, token, at=telegram_paused_until)
        else:
            outcome = _send_one(notification, token, progress=heartbeat.progress)
            if notification.status == Status.FAILED and notification.failure_reason == "blocked":
                switched_off.add((notification.account_id, notification.channel))
        if outcome == "finished":
            finished += 1
        elif isinstance(outcome, float):
            telegram_paused_until = timezone.now() + timedelta(seconds=outcome)
    return finished
