"""The relay: claims pending deliveries with SKIP LOCKED and runs each handler in its own savepoint.

One batch is one transaction. Inside it every delivery runs in a savepoint together with its inbox row, so a
handler's writes and the proof that it ran commit together or not at all: a relay killed mid-batch leaves every
claimed delivery pending and nothing half-done, and the next relay runs them again exactly once.

Order: deliveries of one (handler, aggregate) run by id, which follows commit order because publishers of one
aggregate serialise on its sequence row. A delivery waits while an earlier one of its (handler, aggregate) is
still pending, whether it is being retried or held by another relay. A dead letter no longer blocks the stream.
"""

from __future__ import annotations

import json
import logging
import random
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ukbot.core.events.bus import KICK_KEY, Event
from ukbot.core.events.registry import registry

logger = logging.getLogger(__name__)

# Due deliveries, skipping those queued behind an earlier one of their stream that waits for a retry: without
# that, a long stream stuck behind one retry would fill every batch and starve all other streams.
_CLAIM = """
    WITH waiting AS (
        SELECT handler, aggregate, min(id) AS first_id
        FROM "core"."delivery"
        WHERE status = 'pending' AND available_at > %(now)s AND aggregate <> ''
        GROUP BY handler, aggregate
    )
    SELECT d.id, d.event_id, d.handler, d.aggregate, d.attempts
    FROM "core"."delivery" d
    LEFT JOIN waiting w ON w.handler = d.handler AND w.aggregate = d.aggregate
    WHERE d.status = 'pending' AND d.available_at <= %(now)s AND (w.first_id IS NULL OR d.id < w.first_id)
    ORDER BY d.id
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
"""
# The earliest pending delivery of each claimed (handler, aggregate) that this batch did not claim.
_BLOCKERS = """
    SELECT d.handler, d.aggregate, min(d.id)
    FROM "core"."delivery" d
    JOIN unnest(%s::text[], %s::text[]) AS g(handler, aggregate)
      ON d.handler = g.handler AND d.aggregate = g.aggregate
    WHERE d.status = 'pending' AND NOT (d.id = ANY(%s::bigint[]))
    GROUP BY d.handler, d.aggregate
"""
_EVENTS = """
    SELECT id, type, source, subject, time, data, correlation_id, sequence
    FROM "core"."outbox" WHERE id = ANY(%s::uuid[])
"""
_SEEN = """
    SELECT event_id, handler FROM "core"."inbox"
    WHERE (event_id, handler) IN (SELECT * FROM unnest(%s::uuid[], %s::text[]))
"""
_INBOX = """
    INSERT INTO "core"."inbox" (event_id, handler, processed_at)
    SELECT e, h, %s FROM unnest(%s::uuid[], %s::text[]) AS t(e, h)
    ON CONFLICT (event_id, handler) DO NOTHING
"""
_DONE = """
    UPDATE "core"."delivery" SET status = 'done', attempts = attempts + 1, finished_at = %s, last_error = ''
    WHERE id = ANY(%s::bigint[])
"""
_FAILED = """
    UPDATE "core"."delivery" AS d
    SET attempts = f.attempts, status = f.status, available_at = f.available_at, last_error = f.error,
        finished_at = CASE WHEN f.status = 'dead' THEN %s ELSE NULL END
    FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::timestamptz[], %s::text[])
        AS f(id, attempts, status, available_at, error)
    WHERE d.id = f.id
"""


@dataclass
class BatchResult:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: exponential with ±20 % jitter, capped."""
    base = settings.EVENTS_BACKOFF_BASE_SECONDS
    seconds = min(settings.EVENTS_BACKOFF_MAX_SECONDS, base * (2 ** (attempts - 1)))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not security


def relay_batch(*, batch_size: int | None = None) -> BatchResult:
    """Claim up to ``batch_size`` due deliveries and run their handlers; return what happened."""
    batch_size = batch_size or settings.EVENTS_RELAY_BATCH
    result = BatchResult()
    with transaction.atomic(), connection.cursor() as cursor:
        now = timezone.now()
        cursor.execute(_CLAIM, {"now": now, "limit": batch_size})
        claimed = cursor.fetchall()
        result.claimed = len(claimed)
        if not claimed:
            return result

        ordered = [(h, a) for _, _, h, a, _ in claimed if a]
        blockers: dict[tuple[str, str], int] = {}
        if ordered:
            handlers, aggregates = zip(*set(ordered), strict=True)
            cursor.execute(_BLOCKERS, [list(handlers), list(aggregates), [row[0] for row in claimed]])
            blockers = {(h, a): first for h, a, first in cursor.fetchall()}

        cursor.execute(_EVENTS, [list({row[1] for row in claimed})])
        events = {
            row[0]: Event(
                id=row[0],
                type=row[1],
                source=row[2],
                subject=row[3],
                time=row[4],
                data=json.loads(row[5]) if isinstance(row[5], str) else row[5],
                correlationid=row[6],
                sequence=row[7],
            )
            for row in cursor.fetchall()
        }
        cursor.execute(_SEEN, [[row[1] for row in claimed], [row[2] for row in claimed]])
        seen = set(cursor.fetchall())

        done_ids: list[int] = []
        done_pairs: list[tuple] = []
        failures: list[tuple] = []
        stalled: set[tuple[str, str]] = set()
        for delivery_id, event_id, handler_name, aggregate, attempts in claimed:
            group = (handler_name, aggregate)
            if aggregate and (group in stalled or blockers.get(group, delivery_id) < delivery_id):
                stalled.add(group)  # an earlier one of this stream is not done: keep the order
                result.deferred += 1
                continue
            if (event_id, handler_name) in seen:
                done_ids.append(delivery_id)  # ran before (e.g. a replayed row): do not run it twice
                continue
            handler = registry.handler(handler_name)
            try:
                if handler is None:
                    raise LookupError(f"no handler named {handler_name!r} is registered in this process")
                with transaction.atomic():  # the handler's own savepoint
                    handler(events[event_id])
                done_ids.append(delivery_id)
                done_pairs.append((event_id, handler_name))
            except Exception as exc:
                tries = attempts + 1
                dead = tries >= settings.EVENTS_MAX_ATTEMPTS
                error = "".join(traceback.format_exception(exc))[-4000:]
                failures.append((delivery_id, tries, "dead" if dead else "pending", now + backoff(tries), error))
                if aggregate:
                    stalled.add(group)
                logger.warning(
                    "event handler failed",
                    extra={"handler": handler_name, "event_id": str(event_id), "attempt": tries, "dead": dead},
                )
                result.failed += 1
                result.dead += int(dead)

        if done_pairs:
            cursor.execute(_INBOX, [now, [p[0] for p in done_pairs], [p[1] for p in done_pairs]])
        if done_ids:
            cursor.execute(_DONE, [timezone.now(), done_ids])
        if failures:
            columns = list(zip(*failures, strict=True))
            cursor.execute(_FAILED, [timezone.now(), *[list(c) for c in columns]])
        result.done = len(done_ids)
    return result


def drain(*, max_seconds: float = 50.0, batch_size: int | None = None) -> int:
    """Relay batches until nothing is due (or time is up); return how many deliveries finished."""
    from django.core.cache import cache

    started = time.monotonic()
    finished = 0
    rechecked = False
    while time.monotonic() - started < max_seconds:
        result = relay_batch(batch_size=batch_size)
        finished += result.done + result.dead
        if result.claimed and (result.done or result.failed):
            rechecked = False
            continue
        if rechecked:
            break
        # Let the next commit kick a new relay, then look once more so no commit slips between the two.
        cache.delete(KICK_KEY)
        rechecked = True
    return finished


def replay(*, delivery_ids: list[int]) -> int:
    """Put dead-lettered deliveries back in the queue with a fresh count of attempts; return how many."""
    from ukbot.core.models import Delivery

    count = Delivery.objects.filter(id__in=delivery_ids, status=Delivery.Status.DEAD).update(
        status=Delivery.Status.PENDING, attempts=0, available_at=timezone.now(), finished_at=None
    )
    if count:
        from ukbot.core.events.bus import kick_relay

        transaction.on_commit(kick_relay)
    return count


def purge_delivered(*, older_than: timedelta, batch: int = 1000) -> int:
    """Delete events older than ``older_than`` whose every delivery is done, ``batch`` events per transaction;
    return how many events went.

    Events with a pending or dead delivery stay, whatever their age, so nothing undelivered is ever lost.
    """
    cutoff = timezone.now() - older_than
    purged = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                WITH gone AS (
                    SELECT o.id FROM "core"."outbox" o
                    WHERE o.time < %s
                      AND NOT EXISTS (
                          SELECT 1 FROM "core"."delivery" d WHERE d.event_id = o.id AND d.status <> 'done'
                      )
                    ORDER BY o.id LIMIT %s
                    FOR UPDATE SKIP LOCKED
                ), deliveries AS (
                    DELETE FROM "core"."delivery" d USING gone WHERE d.event_id = gone.id
                )
                DELETE FROM "core"."outbox" o USING gone WHERE o.id = gone.id
                """,
                [cutoff, batch],
            )
            deleted = cursor.rowcount
        purged += deleted
        if deleted < batch:
            break
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute('DELETE FROM "core"."inbox" WHERE processed_at < %s', [cutoff])
    return purged


def status_counts() -> dict[str, int]:
    """Pending (due now or later), in flight (claimed by a running relay), and dead deliveries."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FILTER (WHERE status = 'pending'),
                      count(*) FILTER (WHERE status = 'pending' AND attempts > 0),
                      count(*) FILTER (WHERE status = 'dead'),
                      count(*) FILTER (WHERE status = 'done')
               FROM "core"."delivery" """
        )
        pending, retrying, dead, done = cursor.fetchone()
        # Rows a relay holds are locked; count the ones we can lock, then let go at once.
        cursor.execute(
            """SELECT count(*) FROM (SELECT 1 FROM "core"."delivery" WHERE status = 'pending'
               FOR UPDATE SKIP LOCKED) AS free"""
        )
        free = cursor.fetchone()[0]
        transaction.set_rollback(True)
    in_flight = pending - free
    return {"pending": pending - in_flight, "in_flight": in_flight, "retrying": retrying, "dead": dead, "done": done}
