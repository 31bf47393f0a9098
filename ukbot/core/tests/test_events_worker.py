"""The bus with the real moving parts: a Celery worker process woken by the commit, and the beat sweep."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import transaction

from ukbot.celery import app
from ukbot.celery_worker import start_worker, stop_worker
from ukbot.core.events import publish
from ukbot.core.events.bus import KICK_KEY
from ukbot.core.models import Delivery
from ukbot.core.tasks import sweep_events
from ukbot.core.tests.bus_handlers import THING_HAPPENED
from ukbot.core.tests.conftest import subprocess_env


@pytest.fixture
def worker(effects):
    app.control.purge()  # kicks left by earlier tests that had no worker
    process = start_worker(env=subprocess_env())
    yield process
    stop_worker(process)


def _wait(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_commit_wakes_a_worker_that_delivers_every_event_once(worker, effects):
    # given a running worker and nothing relayed yet
    cache.delete(KICK_KEY)
    # when 300 events are committed in three transactions
    events = []
    for chunk in range(3):
        with transaction.atomic():
            events += [
                publish(THING_HAPPENED, subject=f"w{i % 5}", data={"i": i})
                for i in range(chunk * 100, chunk * 100 + 100)
            ]
    # then the worker, woken by the commit, runs both handlers once per event
    _wait(lambda: len(effects()) >= 600)
    time.sleep(0.5)  # and nothing more arrives afterwards
    runs = Counter((event_id, handler) for event_id, handler, *_ in effects())
    assert runs == {(e.id, h): 1 for e in events for h in ("first", "second")}
    assert os.getpid() not in {pid for *_, pid in effects()}  # the worker ran them, not this process
    assert not Delivery.objects.exclude(status="done").exists()


def test_sweep_delivers_what_no_kick_announced(effects):
    # given a kick that is still marked as pending (so this commit sends none)
    cache.set(KICK_KEY, "1", timeout=60)
    with transaction.atomic():
        event = publish(THING_HAPPENED, subject="lost", data={})
    assert effects() == []
    # when the beat sweep runs
    sweep_events()
    # then the event is delivered
    assert sorted(h for e, h, *_ in effects() if e == event.id) == ["first", "second"]


def test_beat_schedules_the_sweep():
    schedule = app.conf.beat_schedule
    assert schedule["events-sweep"]["task"] == "ukbot.core.sweep_events"
