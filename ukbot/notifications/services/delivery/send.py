"""One attempt at a claimed row: written as in flight before the channel is called, its outcome recorded after,
each step only while the row's lease is still this worker's (decision 0011); ``notification.sent`` and
``.failed`` are published here."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from ukbot.auth import public as auth_public
from ukbot.core.events import publish
from ukbot.notifications import channels, metrics, ratelimit
from ukbot.notifications import events as notification_events
from ukbot.notifications.channels.base import BLOCKED, OK, RETRY, Result
from ukbot.notifications.models import Channel, ChannelSetting, DeliveryAttempt, Notification
from ukbot.notifications.services.delivery.queue import channel_disable

logger = logging.getLogger(__name__)

# A wait for the bot's global slot longer than this hands the rest of the batch back to the queue.
MAX_GLOBAL_WAIT_SECONDS = 1.0
# After a call, how long a worker keeps trying to record its outcome while PostgreSQL is unreachable (0035).
RECORD_RETRY_SECONDS = 300.0
RECORD_RETRY_MAX_PAUSE_SECONDS = 5.0

Status = Notification.Status
Outcome = DeliveryAttempt.Outcome


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff(failures: int) -> timedelta:
    """Delay after ``failures`` failed tries: exponential from NOTIFICATIONS_BACKOFF_BASE_SECONDS, ±20 %, capped."""
    seconds = min(
        settings.NOTIFICATIONS_BACKOFF_MAX_SECONDS, settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS * 2 ** (failures - 1)
    )
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not security


def _nothing() -> None:
    pass


def _send_one(notification: Notification, token: uuid.UUID, *, progress: Callable[[], None] = _nothing) -> str | float:
    """Try one claimed row; return ``finished``, ``requeued``, ``lost`` (lease taken over), or the seconds the
    whole bot must pause (Telegram's global limit). ``progress`` is called while the outcome waits for PostgreSQL.
    """
    channel = channels.get(notification.channel)
    unavailable = channel.unavailable_reason()
    if unavailable:
        return _finish_without_call(notification, token, reason="channel_unavailable", error=unavailable)
    contact = auth_public.contact_of(account_id=notification.account_id)
    if not contact.is_active:
        return _finish_without_call(notification, token, reason="account_inactive", error="the account is not active")
    address = channel.address_of(contact)
    if not address:
        return _finish_without_call(
            notification, token, reason="no_address", error=f"the person has no {notification.channel} address"
        )
    if notification.channel == Channel.TELEGRAM:
        wait = ratelimit.reserve_chat(address)
        if wait > 0:
            return _release(notification, token, at=timezone.now() + timedelta(seconds=wait))
        wait = ratelimit.reserve_global()
        while 0 < wait <= MAX_GLOBAL_WAIT_SECONDS:
            time.sleep(wait)
            wait = ratelimit.reserve_global()
        if wait > 0:
            _release(notification, token, at=timezone.now() + timedelta(seconds=wait))
            return wait

    attempt = _start_attempt(notification, token, address)
    if attempt is None:
        return "lost"
    try:
        result = channel.send(notification, address)
    except Exception as exc:  # a bug or an unexpected library error: keep the row alive and retry
        logger.exception("channel raised", extra={"notification_id": notification.pk})
        result = Result.retry(error=f"{type(exc).__name__}: {exc}")
    return _record(notification, token, attempt, result, progress=progress)


# One statement (so one round trip, and its own commit outside a transaction) that re-checks the lease, counts the
# attempt and stores it as in flight: after it, a crash leaves proof that a call may have been made.
_START = """
    WITH owned AS (
        UPDATE "notifications"."notification"
        SET attempts = attempts + 1, lease_until = %(lease_until)s
        WHERE id = %(id)s AND status = 'sending' AND lease_token = %(token)s
        RETURNING id, attempts, channel
    )
    INSERT INTO "notifications"."delivery_attempt"
        (notification_id, number, channel, address, outcome, status_code, error, retry_after, provider_message_id,
         worker, started_at, finished_at)
    SELECT id, attempts, channel, %(address)s, 'in_flight', NULL, '', NULL, '', %(worker)s, %(now)s, NULL FROM owned
    RETURNING id, number
"""
# The attempt's outcome and the row's next state in one statement. The row changes while the lease is ours, or when
# recovery has meanwhile failed it as `outcome_unknown` on this very attempt (we took longer than the lease, e.g.
# PostgreSQL was away): then we know better, and the truth replaces the guess. Returns the row's status before.
_FINISH = """
    WITH attempt AS (
        UPDATE "notifications"."delivery_attempt"
        SET outcome = %(outcome)s, status_code = %(status_code)s, error = %(error)s, retry_after = %(retry_after)s,
            provider_message_id = %(message_id)s, finished_at = %(now)s
        WHERE id = %(attempt_id)s
    ),
    before AS (SELECT status FROM "notifications"."notification" WHERE id = %(id)s),
    moved AS (
        UPDATE "notifications"."notification" AS n SET {changes}
        WHERE n.id = %(id)s AND (
            (n.status = 'sending' AND n.lease_token = %(token)s)
            OR (n.status = 'failed' AND n.failure_reason = 'outcome_unknown' AND EXISTS (
                SELECT 1 FROM "notifications"."delivery_attempt" AS a
                WHERE a.id = %(attempt_id)s AND a.notification_id = n.id AND a.number = n.attempts
            ))
        )
        RETURNING n.id
    )
    SELECT before.status FROM moved, before
"""
_RELEASE_COLUMNS = ("lease_until", "lease_token")


def _start_attempt(notification: Notification, token: uuid.UUID, address: str) -> DeliveryAttempt | None:
    now = timezone.now()
    params = {
        "id": notification.pk,
        "token": token,
        "lease_until": now + timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS),
        "address": address[:254],
        "worker": _worker_name(),
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_START, params)
        row = cursor.fetchone()
    if row is None:
        logger.warning("notification lease lost before sending", extra={"notification_id": notification.pk})
        return None
    notification.attempts = row[1]
    return DeliveryAttempt(
        id=row[0],
        notification=notification,
        number=row[1],
        channel=notification.channel,
        address=address,
        worker=params["worker"],
        started_at=now,
    )


def _release(notification: Notification, token: uuid.UUID, *, at: datetime) -> str:
    released = Notification.objects.filter(pk=notification.pk, status=Status.SENDING, lease_token=token).update(
        status=Status.QUEUED, next_attempt_at=at, lease_until=None, lease_token=None
    )
    return "requeued" if released else "lost"


def _apply(
    notification: Notification,
    token: uuid.UUID,
    changes: dict,
    *,
    now: datetime,
    attempt: DeliveryAttempt | None = None,
    result: Result | None = None,
) -> str | None:
    """Record the attempt (if any) and move the row, in one statement; return the row's status before, or None if
    the row was not ours to move (the lease was lost)."""
    changes = {**changes, "lease_until": None, "lease_token": None}
    params = {f"set_{column}": value for column, value in changes.items()}
    params.update(id=notification.pk, token=token, now=now)
    assignments = ", ".join(f'"{column}" = %(set_{column})s' for column in changes)
    if attempt is not None and result is not None:
        sql = _FINISH.format(changes=assignments)
        params.update(
            attempt_id=attempt.pk,
            outcome=result.outcome,
            status_code=result.status_code,
            error=result.error[:4000],
            retry_after=result.retry_after,
            message_id=result.message_id[:128],
        )
    else:
        sql = (
            f'UPDATE "notifications"."notification" SET {assignments} '
            "WHERE id = %(id)s AND status = 'sending' AND lease_token = %(token)s RETURNING status"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    for column, value in changes.items():
        setattr(notification, column, value)
    return Status.SENDING if attempt is None else row[0]


def _finish_without_call(notification: Notification, token: uuid.UUID, *, reason: str, error: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        if _apply(notification, token, _failed_changes(reason, error, now), now=now) is None:
            return "lost"
        _publish_failed(notification)
    return "finished"


def _record(
    notification: Notification,
    token: uuid.UUID,
    attempt: DeliveryAttempt,
    result: Result,
    *,
    progress: Callable[[], None] = _nothing,
) -> str:
    """Record a call's outcome; while PostgreSQL is unreachable, keep trying for ``RECORD_RETRY_SECONDS``.

    Only this worker knows what the call did: giving up early would leave the row to recovery, which can only
    guess (``outcome_unknown``). A commit whose answer was lost is harmless to repeat: the row is no longer
    ``sending`` under our token, so the second try changes nothing.
    """
    now = timezone.now()  # when the call ended, whenever it gets written
    deadline = time.monotonic() + RECORD_RETRY_SECONDS
    pause = 0.25
    tries = 1
    while True:
        try:
            outcome = _record_once(notification, token, attempt, result, now=now)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() + pause > deadline:
                logger.exception(
                    "gave up recording a notification's outcome",
                    extra={"notification_id": notification.pk, "outcome": result.outcome, "tries": tries},
                )
                raise
            if tries == 1:
                logger.warning(
                    "could not record a notification's outcome; retrying until the database is back",
                    extra={"notification_id": notification.pk, "outcome": result.outcome},
                    exc_info=True,
                )
            _close_connection()
            time.sleep(pause)
            pause = min(2 * pause, RECORD_RETRY_MAX_PAUSE_SECONDS)
            tries += 1
            progress()
            continue
        if tries > 1:
            logger.warning(
                "recorded a notification's outcome after the database came back",
                extra={"notification_id": notification.pk, "outcome": result.outcome, "tries": tries},
            )
        return outcome


def _close_connection() -> None:
    """Drop a broken connection so that the next query opens a fresh one."""
    with contextlib.suppress(DatabaseError):
        connection.close()


def _record_once(
    notification: Notification, token: uuid.UUID, attempt: DeliveryAttempt, result: Result, *, now: datetime
) -> str:
    if result.outcome == OK:
        changes = {
            "status": Status.SENT,
            "sent_at": now,
            "finished_at": now,
            "provider_message_id": result.message_id[:128],
            "last_error": "",
            "failure_reason": "",
        }
    elif result.outcome == BLOCKED:
        changes = _failed_changes("blocked", result.error, now)
    elif result.outcome == RETRY:
        changes = _retry_changes(notification, attempt, result, now)
    else:
        changes = _failed_changes("rejected", result.error, now)
    with transaction.atomic():
        before = _apply(notification, token, changes, now=now, attempt=attempt, result=result)
        if before is None:
            # Another worker took the row over (our lease ran out during the call); the attempt says what happened.
            logger.warning(
                "notification lease lost during the call",
                extra={"notification_id": notification.pk, "outcome": result.outcome},
            )
            return "lost"
        if before != Status.SENDING:
            logger.warning(
                "recorded a notification's outcome over the outcome_unknown that recovery had given it",
                extra={"notification_id": notification.pk, "outcome": result.outcome, "status": notification.status},
            )
        if result.outcome == OK:
            _publish_sent(notification, confirmed=result.confirmed)
            return "finished"
        if notification.status == Status.QUEUED:
            return "requeued"
        if result.outcome == BLOCKED and notification.channel == Channel.TELEGRAM:
            channel_disable(
                account_id=notification.account_id,
                channel=notification.channel,
                reason=ChannelSetting.Reason.BOT_BLOCKED,
            )
        _publish_failed(notification)
    return "finished"


def _retry_changes(notification: Notification, attempt: DeliveryAttempt, result: Result, now: datetime) -> dict:
    if result.retry_after is not None:
        # The provider set the pace (Telegram's 429): not the message's fault, so it does not count toward giving up.
        if notification.channel == Channel.TELEGRAM:
            ratelimit.penalize(attempt.address, result.retry_after)
        delay = timedelta(seconds=result.retry_after)
    else:
        earlier = notification.delivery_attempts.filter(
            outcome=Outcome.RETRY, retry_after__isnull=True, number__lt=attempt.number
        ).count()
        failures = earlier + 1
        if failures >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            return _failed_changes("gave_up", result.error, now)
        delay = backoff(failures)
    return {
        "status": Status.QUEUED,
        "next_attempt_at": now + delay,
        "last_error": result.error[:4000],
        "failure_reason": "",  # in case recovery had failed it as outcome_unknown meanwhile
        "finished_at": None,
    }


def _failed_changes(reason: str, error: str, now: datetime) -> dict:
    return {"status": Status.FAILED, "failure_reason": reason, "last_error": error[:4000], "finished_at": now}


def _publish_sent(row: Notification, *, confirmed: bool) -> None:
    metrics.count_delivered(row.channel)
    publish(
        notification_events.NOTIFICATION_SENT,
        subject=row.account_id,
        data=notification_events.NotificationSent(
            notification_id=row.pk,
            account_id=row.account_id,
            channel=row.channel,
            event_type=row.event_type,
            subject=row.subject,
            attempts=row.attempts,
            provider_message_id=row.provider_message_id,
            bulk_job_id=row.bulk_job_id,
        ),
    )
    if confirmed:
        publish(
            notification_events.NOTIFICATION_DELIVERY_CONFIRMED,
            subject=row.account_id,
            data=notification_events.NotificationDeliveryConfirmed(
                notification_id=row.pk,
                account_id=row.account_id,
                channel=row.channel,
                provider_message_id=row.provider_message_id,
                bulk_job_id=row.bulk_job_id,
            ),
        )


def _publish_failed(row: Notification) -> None:
    metrics.count_failed(row.channel, row.failure_reason)
    publish(
        notification_events.NOTIFICATION_FAILED,
        subject=row.account_id,
        data=notification_events.NotificationFailed(
            notification_id=row.pk,
            account_id=row.account_id,
            channel=row.channel,
            event_type=row.event_type,
            subject=row.subject,
            attempts=row.attempts,
            reason=row.failure_reason,
            error=row.last_error[:1000],
            bulk_job_id=row.bulk_job_id,
        ),
    )
