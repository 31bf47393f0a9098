"""One attempt at a claimed row: written as in flight before the channel is called, its outcome recorded after,
each step only while the row's lease is still this worker's (decision 0011); ``notification.sent`` and
``.failed`` are published here."""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
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


def _send_one(notification: Notification, token: uuid.UUID) -> str | float:
    """Try one claimed row; return ``finished``, ``requeued``, ``lost`` (lease taken over), or the seconds the
    whole bot must pause (Telegram's global limit)."""
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
    return _record(notification, token, attempt, result)


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
# The attempt's outcome and the row's next state in one statement; the row changes only while the lease is ours.
_FINISH = """
    WITH attempt AS (
        UPDATE "notifications"."delivery_attempt"
        SET outcome = %(outcome)s, status_code = %(status_code)s, error = %(error)s, retry_after = %(retry_after)s,
            provider_message_id = %(message_id)s, finished_at = %(now)s
        WHERE id = %(attempt_id)s
    )
    UPDATE "notifications"."notification" SET {changes}
    WHERE id = %(id)s AND status = 'sending' AND lease_token = %(token)s
    RETURNING id
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
) -> bool:
    """Record the attempt (if any) and move the row, in one statement; return False if the lease was lost."""
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
            "WHERE id = %(id)s AND status = 'sending' AND lease_token = %(token)s RETURNING id"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        owned = cursor.fetchone() is not None
    if owned:
        for column, value in changes.items():
            setattr(notification, column, value)
    return owned


def _finish_without_call(notification: Notification, token: uuid.UUID, *, reason: str, error: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        if not _apply(notification, token, _failed_changes(reason, error, now), now=now):
            return "lost"
        _publish_failed(notification)
    return "finished"


def _record(notification: Notification, token: uuid.UUID, attempt: DeliveryAttempt, result: Result) -> str:
    now = timezone.now()
    if result.outcome == OK:
        changes = {
            "status": Status.SENT,
            "sent_at": now,
            "finished_at": now,
            "provider_message_id": result.message_id[:128],
            "last_error": "",
        }
    elif result.outcome == BLOCKED:
        changes = _failed_changes("blocked", result.error, now)
    elif result.outcome == RETRY:
        changes = _retry_changes(notification, attempt, result, now)
    else:
        changes = _failed_changes("rejected", result.error, now)
    with transaction.atomic():
        if not _apply(notification, token, changes, now=now, attempt=attempt, result=result):
            # Another worker took the row over (our lease ran out during the call); the attempt says what happened.
            logger.warning(
                "notification lease lost during the call",
                extra={"notification_id": notification.pk, "outcome": result.outcome},
            )
            return "lost"
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
    return {"status": Status.QUEUED, "next_attempt_at": now + delay, "last_error": result.error[:4000]}


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
