"""The delivery half of `notifications`: the queue's door (``enqueue``) and the claim-and-send loop.

docs/decisions/0010 draws the seam; docs/decisions/0011 explains how a row is sent at most once:

1. A worker claims due rows (``FOR UPDATE SKIP LOCKED``), marks them ``sending`` with a lease and its own token,
   and commits.
2. Before each call it writes the attempt as ``in_flight`` in the same commit that re-checks its token. Only
   then does it call the channel, and afterwards it records the outcome, again only while the token is its own.
3. A row whose lease ran out goes back to the queue when it has no attempt in flight (it was never sent); when
   it has one, the worker died during the call and nobody knows whether the message went out, so the row fails
   with ``outcome_unknown`` instead of being sent a second time.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from ukbot.auth import public as auth_public
from ukbot.core.events import publish
from ukbot.notifications import channels, ratelimit
from ukbot.notifications import events as notification_events
from ukbot.notifications.channels.base import BLOCKED, OK, RETRY, Result
from ukbot.notifications.models import Channel, ChannelSetting, DeliveryAttempt, Notification

logger = logging.getLogger(__name__)

KICK_KEY = "notifications:deliver-kicked"
KICK_TTL_SECONDS = 30
DEFAULT_BATCH = 50
# A wait for the bot's global slot longer than this hands the rest of the batch back to the queue.
MAX_GLOBAL_WAIT_SECONDS = 1.0
# When the next row is due this soon, the loop waits for it instead of leaving it to the next sweep.
MAX_IDLE_WAIT_SECONDS = 1.5
# Expired leases are looked for at most this often by one loop (they expire after NOTIFICATIONS_LEASE_SECONDS).
RECOVER_EVERY_SECONDS = 1.0

Status = Notification.Status
Outcome = DeliveryAttempt.Outcome


# --- the door ---------------------------------------------------------------------------------------------------
def _buttons(buttons: Iterable[Iterable[dict]]) -> list[list[dict]]:
    rows = []
    for row in buttons:
        cells = []
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ValueError(f"a button needs a text: {button!r}")
            actions = [key for key in ("callback_data", "url") if button.get(key)]
            if len(actions) != 1:
                raise ValueError(f"a button needs exactly one of callback_data and url: {button!r}")
            if "callback_data" in actions and len(button["callback_data"].encode()) > 64:
                raise ValueError(f"callback_data is limited to 64 bytes by Telegram: {button!r}")
            cells.append({"text": str(button["text"]), actions[0]: str(button[actions[0]])})
        if cells:
            rows.append(cells)
    return rows


def enqueue(
    *,
    account_id: int,
    channel: str,
    text: str,
    title: str = "",
    buttons: Sequence[Sequence[dict]] = (),
    event_type: str,
    subject: str = "",
    language: str = "ru",
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    urgent: bool = False,
    bulk_job_id: int | None = None,
) -> Notification | None:
    """Queue a message in the caller's transaction and deliver it after the commit.

    The address is resolved when the message is sent. Return None, writing nothing, when the person has the
    channel off or the dedupe key was used before.

    :raises ValueError: for an unknown channel or a malformed button.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    rows = _buttons(buttons)
    if ChannelSetting.objects.filter(account_id=account_id, channel=channel, enabled=False).exists():
        return None
    now = timezone.now()
    notification = Notification(
        account_id=account_id,
        channel=channel,
        event_type=event_type,
        subject=str(subject)[:64],
        title=title[:200],
        text=text,
        buttons=rows,
        language=language,
        urgent=urgent,
        dedupe_key=dedupe_key,
        not_before=not_before,
        bulk_job_id=bulk_job_id,
        next_attempt_at=max(now, not_before) if not_before else now,
        created_at=now,
    )
    try:
        with transaction.atomic():  # a savepoint: a used dedupe key must not spoil the caller's transaction
            notification.save(force_insert=True)
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if not any(func is kick_delivery for _, func, _ in connection.run_on_commit):
        transaction.on_commit(kick_delivery)
    return notification


def kick_delivery() -> None:
    """Wake a delivery task after a commit; one kick stands for all commits until the task has drained."""
    from django.core.cache import cache

    from ukbot.notifications.tasks import deliver

    try:
        if cache.add(KICK_KEY, "1", timeout=KICK_TTL_SECONDS):
            deliver.delay()
    except Exception:
        # The row is committed and the beat sweep will send it; a broker hiccup must not fail the caller.
        logger.warning("could not kick notification delivery; the periodic sweep will send", exc_info=True)


# --- the loop ---------------------------------------------------------------------------------------------------
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


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff(failures: int) -> timedelta:
    """Delay after ``failures`` failed tries: exponential from NOTIFICATIONS_BACKOFF_BASE_SECONDS, ±20 %, capped."""
    seconds = min(
        settings.NOTIFICATIONS_BACKOFF_MAX_SECONDS, settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS * 2 ** (failures - 1)
    )
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not security


def deliver_due(*, batch: int = DEFAULT_BATCH, max_seconds: float = 50.0) -> int:
    """Send due notifications until none is due or time is up; return how many ended sent or failed.

    Return 0 at once when ``ratelimit.LOOP_SLOTS`` loops already run somewhere: they send what is due.
    """
    holder = f"{_worker_name()}:{uuid.uuid4().hex[:8]}"
    ttl = 2 * settings.NOTIFICATIONS_HTTP_TIMEOUT_SECONDS + 5
    slot = ratelimit.take_loop_slot(holder=holder, ttl_seconds=ttl)
    if slot is None:
        return 0
    try:
        finished, out_of_time = _drain(
            batch=batch,
            max_seconds=max_seconds,
            keep_slot=lambda: ratelimit.refresh_loop_slot(slot, holder=holder, ttl_seconds=ttl),
        )
    finally:
        ratelimit.free_loop_slot(slot, holder=holder)
    if out_of_time:
        # Work is left: hand over to a fresh task now (its slot is free again) rather than leave the rows to the
        # next kick, which our unexpired kick mark would hold back, or to the sweep.
        from django.core.cache import cache

        cache.delete(KICK_KEY)
        kick_delivery()
    return finished


def _drain(*, batch: int, max_seconds: float, keep_slot: Callable[[], bool]) -> tuple[int, bool]:
    from django.core.cache import cache

    deadline = time.monotonic() + max_seconds
    finished = 0
    rechecked = False
    recovered_at = 0.0
    while time.monotonic() < deadline:
        keep_slot()
        if time.monotonic() - recovered_at >= RECOVER_EVERY_SECONDS:
            finished += recover_expired()
            recovered_at = time.monotonic()
        claimed = _claim(batch)
        if claimed:
            rechecked = False
            finished += _send_batch(claimed, keep_slot=keep_slot)
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

    Without an attempt in flight the row was never handed to its channel and goes back to the queue. With one,
    the worker died during the call: the message may have gone out, so the row fails (``outcome_unknown``)
    rather than risk sending it twice.
    """
    now = timezone.now()
    failed = 0
    with transaction.atomic():
        expired = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, lease_until__lt=now)
            .order_by("lease_until")[:limit]
        )
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


def _send_batch(claimed: list[tuple[Notification, uuid.UUID]], *, keep_slot: Callable[[], bool]) -> int:
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
        keep_slot()
        if (notification.account_id, notification.channel) in switched_off:
            outcome = _finish_without_call(
                notification, token, reason="channel_off", error="the person has this channel off"
            )
        elif telegram_paused_until is not None and notification.channel == Channel.TELEGRAM:
            # The whole bot must wait: hand the row back instead of holding it under our lease.
            outcome = _release(notification, token, at=telegram_paused_until)
        else:
            outcome = _send_one(notification, token)
            if notification.status == Status.FAILED and notification.failure_reason == "blocked":
                switched_off.add((notification.account_id, notification.channel))
        if outcome == "finished":
            finished += 1
        elif isinstance(outcome, float):
            telegram_paused_until = timezone.now() + timedelta(seconds=outcome)
    return finished


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


# --- channel switches -----------------------------------------------------------------------------------------
def channel_disable(*, account_id: int, channel: str, reason: str) -> None:
    """Turn a channel off for a person (``bot_blocked``, ``user``, ``admin``); queued rows for it stay queued."""
    ChannelSetting.objects.update_or_create(
        account_id=account_id, channel=channel, defaults={"enabled": False, "disabled_reason": reason}
    )


def channel_enable(*, account_id: int, channel: str) -> None:
    """Turn a channel back on for a person (e.g. they unblocked the bot and wrote to it again)."""
    ChannelSetting.objects.update_or_create(
        account_id=account_id, channel=channel, defaults={"enabled": True, "disabled_reason": ""}
    )
