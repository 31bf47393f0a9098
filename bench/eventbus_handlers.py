"""The benchmark's event type, its no-op handler and a no-op Celery task; loaded by the worker it starts.

Both sides count completions with one Redis INCR, so they do the same (minimal) work per message.
"""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from ukbot.core.events import Event, EventCatalogue, subscribe

catalogue = EventCatalogue("bench")
BENCH_HAPPENED = catalogue.define("bench.happened")

EVENTS_DONE = "bench:events-done"
TASKS_DONE = "bench:tasks-done"


@subscribe(BENCH_HAPPENED)
def noop_handler(event: Event) -> None:
    cache.incr(EVENTS_DONE)


@shared_task(name="bench.noop", ignore_result=True)
def noop_task(i: int) -> None:
    cache.incr(TASKS_DONE)
