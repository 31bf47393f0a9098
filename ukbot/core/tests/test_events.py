"""The outbox event bus against real PostgreSQL: atomicity, exactly-once effects, retries, dead letters, order."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections import Counter, defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction

from ukbot.core.events import publish, registry
from ukbot.core.events.relay import drain, purge_delivered, relay_batch, status_counts
from ukbot.core.models import Delivery, InboxEntry, OutboxEvent
from ukbot.core.tests.bus_handlers import THING_HAPPENED, THING_IGNORED
from ukbot.core.tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[3]
HANDLERS = ("ukbot.core.tests.bus_handlers.first", "ukbot.core.tests.bus_handlers.second")


def _publish_many(count: int, *, subjects: int = 1, data: dict | None = None) -> list:
    with transaction.atomic():
        return [publish(THING_HAPPENED, subject=f"s{i % subjects}", data=data or {"n": i}) for i in range(count)]


def test_rollback_publishes_nothing(effects):
    # given a transaction that publishes and then fails
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        publish(THING_HAPPENED, subject="r1", data={"n": 1})
        1 / 0  # noqa: B018
    # when the relay runs
    drain(max_seconds=5)
    # then nothing was stored and no handler ran
    assert OutboxEvent.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert effects() == []


def test_published_event_has_cloudevents_envelope_and_reaches_each_handler_once(effects):
    with transaction.atomic():
        first = publish(THING_HAPPENED, subject="r1", data={"n": 1}, correlation_id="corr-1")
        second = publish(THING_HAPPENED, subject="r1", data={"n": 2})
        other = publish(THING_HAPPENED, subject="r2", data={"n": 3})

    drain(max_seconds=5)

    assert (first.sequence, second.sequence, other.sequence) == (1, 2, 1)
    envelope = first.to_cloudevent()
    assert envelope["specversion"] == "1.0"
    assert envelope["source"] == "ukbot/testing"
    assert envelope["type"] == "thing.happened"
    assert envelope["subject"] == "r1"
    assert envelope["data"] == {"n": 1}
    assert envelope["correlationid"] == "corr-1"
    assert uuid.UUID(envelope["id"]) == first.id
    runs = Counter((event_id, handler) for event_id, handler, *_ in effects())
    assert runs == {(e.id, h): 1 for e in (first, second, other) for h in ("first", "second")}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    assert InboxEntry.objects.count() == 6


def test_event_without_subscribers_is_stored_and_needs_no_delivery(effects):
    with transaction.atomic():
        publish(THING_IGNORED, data={"n": 1})
    assert OutboxEvent.objects.filter(type="thing.ignored").count() == 1
    assert Delivery.objects.count() == 0


def test_publish_refuses_data_that_is_not_json_and_writes_nothing(effects):
    with pytest.raises(TypeError):
        publish(THING_HAPPENED, subject="r1", data={"when": object()})
    with pytest.raises(TypeError):
        publish(THING_HAPPENED, subject="r1", data=["not", "a", "dict"])
    assert OutboxEvent.objects.count() == 0


def test_app_signal_is_sent_inside_the_transaction(effects):
    received = []

    def receiver(sender, event, **kwargs):
        received.append((sender, event.type, connection.in_atomic_block))

    THING_HAPPENED.signal.connect(receiver)
    try:
        with transaction.atomic():
            publish(THING_HAPPENED, subject="r1", data={})
    finally:
        THING_HAPPENED.signal.disconnect(receiver)
    assert received == [("ukbot/testing", "thing.happened", True)]


def test_inbox_keeps_a_redelivered_event_from_running_twice(effects):
    (event,) = _publish_many(1)
    drain(max_seconds=5)
    # a delivery that comes round again (say an operator replays one that had in fact run) ...
    Delivery.objects.filter(event_id=event.id).update(status="pending")
    drain(max_seconds=5)
    # ... is marked done without running the handler again
    assert len(effects()) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}


def _relay_subprocess(*, crash: bool) -> subprocess.CompletedProcess:
    env = subprocess_env(BUS_TEST_CRASH="1" if crash else "0")
    code = (
        "import django; django.setup()\n"
        "from ukbot.core.events.relay import relay_batch\n"
        "relay_batch(batch_size=100)\n"
        "import os; os._exit(0)\n"  # die right after the commit, before anything else
    )
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_relay_killed_mid_batch_loses_nothing_and_runs_nothing_twice(effects):
    # given events, one of which kills the relay process inside its handler
    events = _publish_many(3, subjects=3)
    with transaction.atomic():
        crasher = publish(THING_HAPPENED, subject="s9", data={"crash": True})
    # when a relay process dies mid-batch
    crashed = _relay_subprocess(crash=True)
    assert crashed.returncode == 17, crashed.stderr
    # then the handlers that had run in that batch left nothing behind, and everything is still pending
    assert effects() == []
    assert Delivery.objects.filter(status="pending").count() == 8
    # and when a relay dies right after committing, a later relay does not run anything again
    finished = _relay_subprocess(crash=False)
    assert finished.returncode == 0, finished.stderr
    drain(max_seconds=5)
    runs = Counter((event_id, handler) for event_id, handler, *_ in effects())
    assert runs == {(e.id, h): 1 for e in [*events, crasher] for h in ("first", "second")}


def _concurrent_drains(count: int) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            drain(max_seconds=30, batch_size=25)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_concurrent_relays_deliver_each_event_to_each_handler_once_in_aggregate_order(effects):
    # given 400 events over 8 aggregates
    events = _publish_many(400, subjects=8)
    # when four relays run at once
    _concurrent_drains(4)
    # then every (event, handler) ran exactly once ...
    rows = effects()
    runs = Counter((event_id, handler) for event_id, handler, *_ in rows)
    assert runs == {(e.id, h): 1 for e in events for h in ("first", "second")}
    # ... and each handler saw each aggregate's events in sequence order
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _, handler, subject, sequence, _ in rows:
        seen[(handler, subject)].append(sequence)
    for stream in seen.values():
        assert stream == list(range(1, 51))


def test_failing_handler_is_retried_then_dead_lettered_then_replayed(effects, fast_retries, admin_client):
    # given an event whose "second" handler fails more times than allowed
    (event,) = _publish_many(1, data={"fail": {"second": 5}})
    drain(max_seconds=10)
    # then "first" ran once, "second" was tried EVENTS_MAX_ATTEMPTS times and is now a dead letter
    dead = Delivery.objects.get(event_id=event.id, handler=HANDLERS[1])
    assert dead.status == "dead"
    assert dead.attempts == settings.EVENTS_MAX_ATTEMPTS == 3
    assert "planned failure of second" in dead.last_error
    assert Delivery.objects.get(event_id=event.id, handler=HANDLERS[0]).status == "done"
    assert [h for _, h, *_ in effects()] == ["first"]  # failed runs left no effect
    assert status_counts()["dead"] == 1
    out = StringIO()
    call_command("events", "status", stdout=out)
    assert "dead       1" in out.getvalue()

    # when an operator sees it in admin and replays it (the fourth and fifth runs still fail, then it works)
    page = admin_client.get("/admin/core/delivery/?status__exact=dead")
    assert page.status_code == 200
    assert str(dead.id) in page.content.decode()
    response = admin_client.post(
        "/admin/core/delivery/", {"action": "replay_dead_letters", "_selected_action": [dead.id]}
    )
    assert response.status_code == 302
    drain(max_seconds=10)
    # then it is delivered once
    dead.refresh_from_db()
    assert dead.status == "done"
    assert [h for _, h, *_ in effects()] == ["first", "second"]


def test_a_retried_event_holds_back_later_events_of_its_aggregate(effects, settings):
    settings.EVENTS_BACKOFF_BASE_SECONDS = 3600  # the retry is not due during this test
    with transaction.atomic():
        blocked = publish(THING_HAPPENED, subject="agg", data={"fail": {"first": 1}})
        later = publish(THING_HAPPENED, subject="agg", data={})
        elsewhere = publish(THING_HAPPENED, subject="other", data={})
    relay_batch()
    done = {(e, h) for e, h, *_ in effects()}
    # "first" failed on the first event, so it must not see the second one yet; "second" is unaffected
    assert (later.id, "first") not in done
    assert {(blocked.id, "second"), (later.id, "second"), (elsewhere.id, "first")} <= done
    # once the retry is due, the stream continues in order
    Delivery.objects.filter(status="pending").update(available_at=blocked.time)
    drain(max_seconds=5)
    firsts = [e for e, h, s, *_ in effects() if h == "first" and s == "agg"]
    assert firsts == [blocked.id, later.id]


def test_a_long_stream_behind_a_retry_does_not_starve_other_streams(effects, settings):
    settings.EVENTS_BACKOFF_BASE_SECONDS = 3600
    with transaction.atomic():
        publish(THING_HAPPENED, subject="stuck", data={"fail": {"first": 1}})
        for i in range(30):
            publish(THING_HAPPENED, subject="stuck", data={"i": i})
        free = publish(THING_HAPPENED, subject="free", data={})
    relay_batch(batch_size=10)  # the retry is now pending for an hour
    # when later batches of 10 run, the 30 queued behind the retry are passed over, not claimed again and again
    for _ in range(5):
        relay_batch(batch_size=10)
    assert (free.id, "first") in {(e, h) for e, h, *_ in effects()}


def test_a_dead_letter_stops_holding_back_its_aggregate(effects, fast_retries):
    with transaction.atomic():
        poison = publish(THING_HAPPENED, subject="agg", data={"fail": {"first": 99}})
        later = publish(THING_HAPPENED, subject="agg", data={})
    drain(max_seconds=10)
    assert Delivery.objects.get(event_id=poison.id, handler=HANDLERS[0]).status == "dead"
    assert Delivery.objects.get(event_id=later.id, handler=HANDLERS[0]).status == "done"


def test_unknown_handler_ends_as_dead_letter_with_a_clear_error(effects, fast_retries):
    (event,) = _publish_many(1)
    registry.unsubscribe(HANDLERS[1])
    try:
        drain(max_seconds=10)
    finally:
        from ukbot.core.tests import bus_handlers

        registry.subscribe(THING_HAPPENED, bus_handlers.second)
    dead = Delivery.objects.get(event_id=event.id, handler=HANDLERS[1])
    assert dead.status == "dead"
    assert "no handler named" in dead.last_error


def test_status_counts_in_flight_rows_held_by_a_running_relay(effects):
    _publish_many(5)
    holder_ready = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """SELECT id FROM "core"."delivery" WHERE status = 'pending' ORDER BY id LIMIT 4 FOR UPDATE"""
            )
            holder_ready.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    holder_ready.wait(10)
    try:
        counts = status_counts()
    finally:
        release.set()
        thread.join()
    assert counts["in_flight"] == 4
    assert counts["pending"] == 6


def test_retention_purges_only_old_fully_delivered_events(effects, fast_retries):
    from datetime import timedelta

    with transaction.atomic():
        delivered = publish(THING_HAPPENED, subject="a", data={})
        dead = publish(THING_HAPPENED, subject="b", data={"fail": {"first": 99}})
        ignored = publish(THING_IGNORED, data={})
    drain(max_seconds=10)
    recent = _publish_many(1)[0]  # published now, not yet relayed
    OutboxEvent.objects.exclude(id=recent.id).update(time=delivered.time - timedelta(days=40))

    purged = purge_delivered(older_than=timedelta(days=30))

    assert purged == 2  # the delivered one and the one nobody subscribes to
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {dead.id, recent.id}
    assert not OutboxEvent.objects.filter(id__in=[delivered.id, ignored.id]).exists()
    assert Delivery.objects.filter(event_id=dead.id, status="dead").count() == 1


def test_stored_events_carry_the_sequence_publish_returned_with_or_without_handlers(effects):
    # given events of a subject (with handlers, and without any), and one with no subject
    with transaction.atomic():
        first = publish(THING_HAPPENED, subject="r7", data={"n": 1})
        unheard = publish(THING_IGNORED, subject="r7")
        second = publish(THING_HAPPENED, subject="r7", data={"n": 2})
        loose = publish(THING_HAPPENED, data={"n": 3})

    # then the subject's events are numbered in order (heard or not), the loose one not, and the rows say the same
    assert (first.sequence, unheard.sequence, second.sequence, loose.sequence) == (1, 2, 3, None)
    stored = dict(OutboxEvent.objects.values_list("id", "sequence"))
    assert stored == {first.id: 1, unheard.id: 2, second.id: 3, loose.id: None}
    handlers = len(registry.handlers_for(THING_HAPPENED.name))
    assert handlers and Delivery.objects.filter(event_id=second.id).count() == handlers
    assert Delivery.objects.filter(event_id=loose.id).count() == handlers
    assert not Delivery.objects.filter(event_id=unheard.id).exists()
