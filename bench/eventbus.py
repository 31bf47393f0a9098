"""Event bus throughput against plain Celery, through the real relay and a real Celery worker.

    make bench-eventbus          (BENCH_EVENTS=10000, BENCH_TX_SIZE=100, BENCH_CONCURRENCY=2 by default)

Phase 1 sends N no-op Celery tasks and times until the worker has run all of them. Phase 2 publishes N events
(in transactions of BENCH_TX_SIZE events, over 1,000 aggregates) and times until the no-op handler has run for
all of them via outbox → relay task → handler. Both clocks start before the first send. The last line is

    eventbus: events_per_s=N celery_tasks_per_s=M ratio=R
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_EVENTS", "10000"))
TX_SIZE = int(os.environ.get("BENCH_TX_SIZE", "100"))
CONCURRENCY = os.environ.get("BENCH_CONCURRENCY", "2")
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "300"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")
os.environ["EVENTS_EXTRA_HANDLER_MODULES"] = "bench.eventbus_handlers"
os.environ["PYTHONPATH"] = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402 - the environment above must be in place first

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.eventbus_handlers import BENCH_HAPPENED, EVENTS_DONE, TASKS_DONE, noop_task  # noqa: E402
from ukbot.celery import app  # noqa: E402
from ukbot.celery_worker import start_worker, stop_worker  # noqa: E402
from ukbot.core.events import publish  # noqa: E402
from ukbot.core.events.bus import KICK_KEY  # noqa: E402
from ukbot.core.models import OutboxEvent  # noqa: E402


def wait_for(key: str, target: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while int(cache.get(key) or 0) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out with {cache.get(key)} of {target} done ({key})")
        time.sleep(0.01)


def run_tasks(count: int) -> float:
    cache.set(TASKS_DONE, 0, timeout=None)
    started = time.perf_counter()
    for i in range(count):
        noop_task.delay(i)
    wait_for(TASKS_DONE, count)
    return time.perf_counter() - started


def run_events(count: int) -> tuple[float, float]:
    cache.set(EVENTS_DONE, 0, timeout=None)
    cache.delete(KICK_KEY)
    started = time.perf_counter()
    for first in range(0, count, TX_SIZE):
        with transaction.atomic():
            for i in range(first, min(first + TX_SIZE, count)):
                publish(BENCH_HAPPENED, subject=f"agg-{i % 1000}", data={"i": i})
    published = time.perf_counter() - started
    wait_for(EVENTS_DONE, count)
    return time.perf_counter() - started, published


def main() -> None:
    call_command("migrate", verbosity=0)
    OutboxEvent.objects.filter(source="ukbot/bench").delete()
    app.control.purge()
    worker = start_worker(concurrency=int(CONCURRENCY))
    try:
        run_tasks(200)  # warm up both paths
        run_events(200)
        task_seconds = run_tasks(N)
        event_seconds, publish_seconds = run_events(N)
    finally:
        stop_worker(worker)
        OutboxEvent.objects.filter(source="ukbot/bench").delete()
    events_per_s = N / event_seconds
    tasks_per_s = N / task_seconds
    print(f"celery: {N} no-op tasks sent and run in {task_seconds:.2f} s")
    print(
        f"events: {N} events published in {publish_seconds:.2f} s (transactions of {TX_SIZE}) "
        f"and handled in {event_seconds:.2f} s"
    )
    print(f"worker concurrency {CONCURRENCY}, relay batch {django.conf.settings.EVENTS_RELAY_BATCH}")
    ratio = events_per_s / tasks_per_s
    print(f"eventbus: events_per_s={events_per_s:.0f} celery_tasks_per_s={tasks_per_s:.0f} ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
