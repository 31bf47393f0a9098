"""Notification delivery with the real moving parts: Celery workers woken by the commit, the fake Bot API over HTTP
enforcing Telegram's limits, and a worker killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import transaction

from tests import factories
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.celery import app
from ukbot.celery_worker import start_worker, stop_worker
from ukbot.core.models import OutboxEvent
from ukbot.core.tests.conftest import subprocess_env
from ukbot.notifications import ratelimit
from ukbot.notifications.models import Notification
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
