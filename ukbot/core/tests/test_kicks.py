"""Kicks run off the committing thread (decision 0033): a hung broker costs a commit nothing."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from tests.processes import PrivateRedis, celery_broker_switch
from ukbot.core.events import publish
from ukbot.core.events.bus import KICK_KEY
from ukbot.core.kicks import kick_soon, kicks_wait_idle
from ukbot.core.tests.bus_handlers import THING_HAPPENED

KICK_FAILED = "could not kick the event relay"


@pytest.fixture
def hung_broker():
    """This process's Celery broker is a private Redis that accepts connections and answers nothing."""
    server = PrivateRedis()
    try:
        with celery_broker_switch() as switch:
            switch(server.url)
            server.hang()
            yield server
            server.resume()  # let the kick thread's calls end before the broker is switched back
            kicks_wait_idle(timeout=30)
    finally:
        server.stop()


def _commit_in_a_thread() -> threading.Event:
    done = threading.Event()

    def commit() -> None:
        try:
            with transaction.atomic():
                publish(THING_HAPPENED, subject="hung", data={})
            done.set()
        finally:
            connection.close()  # the thread's own

    threading.Thread(target=commit, daemon=True).start()
    return done


def test_a_kick_with_a_hung_broker_does_not_hold_the_commit(effects, hung_broker, caplog):
    # given no kick pending, and a broker that does not answer
    cache.delete(KICK_KEY)
    caplog.set_level(logging.WARNING, logger="ukbot.core.events.bus")
    # when an event is committed
    done = _commit_in_a_thread()
    # then the committing thread goes on at once; the kick is left to the kick thread
    assert done.wait(timeout=5), "the commit waited on the broker"
    # which gives up by itself within the broker's timeouts and the bounded publish retry, and says so
    started = time.monotonic()
    assert kicks_wait_idle(timeout=30), "the kick did not give up"
    assert time.monotonic() - started < 20
    assert KICK_FAILED in caplog.text


def test_many_commits_while_the_broker_hangs_make_one_pending_kick(effects, hung_broker, caplog):
    # given a broker that does not answer
    caplog.set_level(logging.WARNING, logger="ukbot.core.events.bus")
    # when 30 events are committed one after another, each clearing the kick mark as a draining relay would
    cache.delete(KICK_KEY)
    done = threading.Event()

    def commit() -> None:
        try:
            for n in range(30):
                cache.delete(KICK_KEY)
                with transaction.atomic():
                    publish(THING_HAPPENED, subject=f"many-{n}", data={})
            done.set()
        finally:
            connection.close()  # the thread's own

    threading.Thread(target=commit, daemon=True).start()
    assert done.wait(timeout=10)
    assert kicks_wait_idle(timeout=60)
    # then the kicks coalesced: the one under way and at most one pending behind it, not one per commit
    assert 1 <= caplog.text.count(KICK_FAILED) <= 2


def test_a_forked_child_runs_its_kicks_on_a_thread_of_its_own():
    # given the kick thread running in this process
    ran = threading.Event()
    kick_soon("test.parent", ran.set)
    assert ran.wait(timeout=5)
    read, write = os.pipe()
    # when a forked child (a gunicorn or Celery prefork worker) kicks
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child

        def report() -> None:
            os.write(write, b"ran")

        try:
            kick_soon("test.child", report)
            kicks_wait_idle(timeout=5)
        finally:
            os._exit(0)
    os.close(write)
    # then the child's kick runs there, on a thread the child started
    try:
        answer = os.read(read, 64)  # blocks until the kick writes, or the child exits (within 5 s) without it
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    assert answer == b"ran", "the child's kick never ran"
