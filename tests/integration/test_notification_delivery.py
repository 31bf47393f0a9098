"""Notification delivery with the real moving parts: Celery workers woken by the commit, the fake Bot API over HTTP
enforcing Telegram's limits, and a worker killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, transaction

from tests import factories
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.celery import app
from ukbot.celery_worker import ROOT, start_worker, stop_worker
from ukbot.core.models import OutboxEvent
from ukbot.core.tests.conftest import subprocess_env
from ukbot.notifications import ratelimit
from ukbot.notifications.models import DeliveryAttempt, Notification
from ukbot.notifications.services import delivery
from ukbot.notifications.tasks import deliver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TOKEN = "123456:integration-secret"
_chats = itertools.count(8_100_001)


@pytest.fixture
def fake():
    ratelimit.reset()
    cache.delete(delivery.KICK_KEY)
    app.control.purge()  # tasks left by earlier tests that had no worker
    with FakeTelegramAPI(token=TOKEN, enforce_limits=True) as server:
        yield server
    ratelimit.reset()


def _env(fake: FakeTelegramAPI, **extra: str) -> dict[str, str]:
    return subprocess_env(TELEGRAM_API_URL=fake.url, TELEGRAM_BOT_TOKEN=TOKEN, **extra)


def _queue(count: int) -> list[Notification]:
    people = [factories.person(profile=False, account_fields={"telegram_id": next(_chats)}) for _ in range(count)]
    with transaction.atomic():
        return [
            delivery.enqueue(account_id=account_id, channel="telegram", text=f"message {i}", event_type="test.sent")
            for i, account_id in enumerate(people)
        ]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _kill_hard(worker: subprocess.Popen) -> None:
    """SIGKILL the worker's pool processes and the worker itself: no warm shutdown, no cleanup."""
    os.kill(worker.pid, signal.SIGSTOP)  # so it cannot start a replacement pool process meanwhile
    for pid in _children(worker.pid):
        os.kill(pid, signal.SIGKILL)
    worker.kill()
    worker.wait()


def _wait(condition, seconds: float = 60.0, *, poke=None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        if poke:
            poke()
        time.sleep(0.5 if poke else 0.05)


def test_a_commit_wakes_a_worker_that_sends_each_message_once_within_telegrams_limits(fake):
    # given a running worker
    worker = start_worker(env=_env(fake))
    try:
        # when 40 messages to different chats are committed in one transaction
        rows = _queue(40)
        # then the worker, woken by the commit, sends every one once, never tripping the flood limits
        fake.wait_for(40, timeout=60)
        _wait(lambda: not Notification.objects.exclude(status="sent").exists())
        time.sleep(0.5)
    finally:
        stop_worker(worker)
    texts = Counter(call.params["text"] for call in fake.delivered())
    assert texts == {f"message {i}": 1 for i in range(40)}
    assert fake.rate_limited == 0
    assert OutboxEvent.objects.filter(type="notification.sent").count() == 40
    assert {n.pk for n in rows} == set(Notification.objects.filter(status="sent").values_list("pk", flat=True))


def test_a_worker_killed_mid_batch_leaves_nothing_lost_and_nothing_sent_twice(fake):
    # given a slow Bot API (0.2 s a call) and a worker sending 40 queued messages
    fake.delay_next(0.2, times=10_000)
    env = _env(fake, NOTIFICATIONS_LEASE_SECONDS="3", NOTIFICATIONS_HTTP_TIMEOUT_SECONDS="1")
    first = start_worker(env=env)
    try:
        _queue(40)
        fake.wait_for(8, timeout=60)
    finally:
        # when it is killed without warning in the middle of the batch
        _kill_hard(first)
    delivered_before = len(fake.delivered())
    assert delivered_before < 40, "the batch was over before the kill"
    # and a second worker takes over once the dead one's leases have run out
    second = start_worker(env=env)
    try:
        _wait(
            lambda: not Notification.objects.filter(status__in=["queued", "sending"]).exists(),
            seconds=90,
            poke=deliver.delay,  # the beat sweep's job
        )
        time.sleep(0.5)  # any call still on its way lands
    finally:
        stop_worker(second)
    # then every message ended sent or failed
    rows = list(Notification.objects.all())
    assert len(rows) == 40
    assert {n.status for n in rows} <= {"sent", "failed"}
    # and only a message whose call the kill interrupted failed, as outcome unknown (one per pool process at most)
    failed = [n for n in rows if n.status == "failed"]
    assert all(n.failure_reason == "outcome_unknown" for n in failed)
    assert len(failed) <= 2
    # and the Bot API got no message twice: each sent one exactly once, an unknown one at most once
    texts = Counter(call.params["text"] for call in fake.delivered())
    assert max(texts.values()) == 1
    assert all(texts[n.text] == 1 for n in rows if n.status == "sent")
    assert len(fake.delivered()) > delivered_before


# --- PostgreSQL away between the call and the recording ---------------------------------------------------------
@contextlib.contextmanager
def _admin() -> Iterator[psycopg.Connection]:
    """A superuser connection to the server's `postgres` database, outside the test database."""
    db = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or "postgres",
        password=db["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        yield admin


def _database_down(admin: psycopg.Connection) -> None:
    """Refuse new connections to the test database and end every open one: for its clients, the server is gone."""
    name = connection.settings_dict["NAME"]
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


def _database_up(admin: psycopg.Connection) -> None:
    admin.execute(f'ALTER DATABASE "{connection.settings_dict["NAME"]}" ALLOW_CONNECTIONS true')
    connection.close()  # ours was ended too


def _call_received(fake: FakeTelegramAPI, text: str, *, answered: bool = False) -> bool:
    return any(c.params.get("text") == text and (c.status or not answered) for c in fake.calls("sendMessage"))


def test_a_message_sent_while_postgresql_is_away_is_recorded_sent_once_it_is_back(fake):
    # given a worker with a short lease whose call to the Bot API takes 2 s
    fake.delay_next(2.0)
    worker = start_worker(env=_env(fake, NOTIFICATIONS_LEASE_SECONDS="3"))
    try:
        with _admin() as admin:
            try:
                [row] = _queue(1)
                _wait(lambda: _call_received(fake, "message 0"), seconds=60)
                # when PostgreSQL goes away during the call, and stays away well past the lease
                _database_down(admin)
                _wait(lambda: _call_received(fake, "message 0", answered=True), seconds=30)
                time.sleep(8)
            finally:
                _database_up(admin)
        # and, as soon as it is back, another worker looks for expired leases
        delivery.recover_expired()
        deliver.delay()
        # then the worker that made the call records what it did: sent
        _wait(lambda: Notification.objects.get(pk=row.pk).status != "sending", seconds=60)
        time.sleep(1)  # any late write lands
    finally:
        stop_worker(worker)
    row.refresh_from_db()
    assert (row.status, row.failure_reason) == ("sent", "")
    assert list(DeliveryAttempt.objects.filter(notification=row).values_list("number", "outcome")) == [(1, "ok")]
    assert len(fake.delivered()) == 1
    assert OutboxEvent.objects.filter(type="notification.sent").count() == 1
    assert not OutboxEvent.objects.filter(type="notification.failed").exists()


def _pause(worker: subprocess.Popen, sig: int) -> None:
    for pid in [worker.pid, *_children(worker.pid)]:
        os.kill(pid, sig)


def test_an_outcome_recorded_after_recovery_gave_up_on_it_replaces_outcome_unknown(fake):
    # given a worker with a short lease whose call to the Bot API takes 2 s
    fake.delay_next(2.0)
    worker = start_worker(env=_env(fake, NOTIFICATIONS_LEASE_SECONDS="3"))
    try:
        [row] = _queue(1)
        _wait(lambda: _call_received(fake, "message 0"), seconds=60)
        # when the worker stalls during the call (stopped) until its lease and live mark have run out
        _pause(worker, signal.SIGSTOP)
        try:
            _wait(lambda: _call_received(fake, "message 0", answered=True), seconds=30)
            time.sleep(5)
            # and another worker's recovery, not knowing whether the call went out, fails the row
            assert delivery.recover_expired() == 1
            row.refresh_from_db()
            assert (row.status, row.failure_reason) == ("failed", "outcome_unknown")
        finally:
            _pause(worker, signal.SIGCONT)
        # then the stalled worker, back, records what the call did: the message was sent
        _wait(lambda: Notification.objects.get(pk=row.pk).status == "sent", seconds=30)
    finally:
        stop_worker(worker)
    row.refresh_from_db()
    assert (row.status, row.failure_reason, row.finished_at is not None) == ("sent", "", True)
    assert list(DeliveryAttempt.objects.filter(notification=row).values_list("number", "outcome")) == [(1, "ok")]
    assert len(fake.delivered()) == 1
    assert OutboxEvent.objects.filter(type="notification.sent").count() == 1


# --- a worker killed under a steady queue -------------------------------------------------------------------------
def _loop_holders() -> list[int]:
    """The pids of the processes holding delivery-loop slots."""
    client = ratelimit._client()
    holders = client.mget([f"ukbot:notifications:loop:{i}" for i in range(ratelimit.LOOP_SLOTS)])
    return [int(h.decode().split(":")[1]) for h in holders if h is not None]


def _wait_for_workers(count: int, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while len(app.control.ping(timeout=0.5)) < count:
        assert time.monotonic() < deadline, "the worker did not answer"


def test_another_worker_resumes_within_seconds_after_a_worker_holding_every_loop_is_killed(fake):
    # given the sweep's pace and a Bot API taking 0.25 s a call
    sweep = 2.0
    fake.delay_next(0.25, times=100_000)
    env = _env(fake)  # the default lease, slot and heartbeat
    people = [factories.person(profile=False, account_fields={"telegram_id": next(_chats)}) for _ in range(120)]
    texts = (f"steady {i}" for i in itertools.count())
    queued: list[int] = []

    def feed(count: int) -> None:
        with transaction.atomic():
            for _ in range(count):
                text = next(texts)
                account_id = people[int(text.split()[1]) % len(people)]
                row = delivery.enqueue(account_id=account_id, channel="telegram", text=text, event_type="test.sent")
                assert row is not None
                queued.append(row.pk)

    def steady(seconds: float, until=None) -> None:
        """About five messages a second, and the beat's sweep every ``sweep`` seconds."""
        end = time.monotonic() + seconds
        swept = 0.0
        while time.monotonic() < end and not (until and until()):
            feed(1)
            if time.monotonic() - swept >= sweep:
                deliver.delay()
                swept = time.monotonic()
            time.sleep(0.2)

    first = start_worker(env=env)
    second = None
    try:
        # and a worker whose two pool processes both run a delivery loop over a backlog that keeps coming
        feed(100)
        deliver.delay()
        deliver.delay()
        pool = set(_children(first.pid))
        steady(60, until=lambda: len(set(_loop_holders()) & pool) == ratelimit.LOOP_SLOTS)
        assert len(set(_loop_holders()) & pool) == ratelimit.LOOP_SLOTS, "the first worker never ran both loops"
        # and a second worker, up and idle (every loop slot is taken)
        second = subprocess.Popen(first.args, cwd=ROOT, env=env)
        steady(90, until=lambda: len(app.control.ping(timeout=0.5)) >= 2)
        _wait_for_workers(2)
        assert set(_loop_holders()) <= pool, "the second worker took a loop slot before the kill"
        # when the first worker is killed without warning while its loops are sending
        before = len(fake.delivered())
        held = set(Notification.objects.filter(status="sending").values_list("lease_token", flat=True))
        killed_at = time.time()
        _kill_hard(first)
        # then the second worker sends again within seconds, and takes over the dead worker's rows soon after
        steady(60, until=lambda: any(c.at > killed_at for c in fake.delivered()[before:]))
        resumed = min(c.at for c in fake.delivered()[before:] if c.at > killed_at) - killed_at
        steady(90, until=lambda: not Notification.objects.filter(status="sending", lease_token__in=held).exists())
        freed = time.time() - killed_at
        print(
            f"\nkill -9: sending resumed after {resumed:.1f} s, the dead worker's claimed rows free after {freed:.1f} s"
        )
        _wait(
            lambda: not Notification.objects.filter(status__in=["queued", "sending"]).exists(), 120, poke=deliver.delay
        )
        time.sleep(0.5)  # any call still on its way lands
    finally:
        if first.poll() is None:
            _kill_hard(first)
        if second is not None:
            stop_worker(second)
    assert resumed < 15, f"sending resumed only after {resumed:.1f} s"
    assert freed < 30, f"the dead worker's rows were held for {freed:.1f} s"
    # and nothing was lost: every message ended sent or, for a call the kill cut short (one per loop), unknown
    rows = list(Notification.objects.filter(pk__in=queued))
    assert len(rows) == len(queued)
    failed = [n for n in rows if n.status != "sent"]
    assert all((n.status, n.failure_reason) == ("failed", "outcome_unknown") for n in failed)
    assert len(failed) <= ratelimit.LOOP_SLOTS
    # and nothing was sent twice
    sent = Counter(call.params["text"] for call in fake.delivered())
    assert max(sent.values()) == 1
    assert all(sent[n.text] == 1 for n in rows if n.status == "sent")
