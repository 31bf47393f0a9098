"""Event types and handlers used by the event bus tests; a worker loads them via EVENTS_EXTRA_HANDLER_MODULES.

Handlers record each run in ``bus_test_effect`` (in the handler's transaction, so a rolled-back run leaves no
row). What a handler does is steered by the event's data: ``sleep`` (seconds, so a relay is still busy when
something else happens), ``fail`` (fail the first N runs, counted in Redis,
which a rollback cannot undo) and ``crash`` (kill the process when BUS_TEST_CRASH is set).
"""

from __future__ import annotations

import os
import time

from django.core.cache import cache
from django.db import connection

from ukbot.core.events import Event, EventCatalogue, subscribe

catalogue = EventCatalogue("testing")
THING_HAPPENED = catalogue.define("thing.happened")
THING_IGNORED = catalogue.define("thing.ignored")  # nobody subscribes

EFFECT_TABLE_SQL = """
    CREATE TABLE IF NOT EXISTS bus_test_effect (
        serial bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        handler text NOT NULL,
        subject text NOT NULL,
        sequence bigint,
        pid int NOT NULL
    )
"""


def _record(event: Event, handler: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bus_test_effect (event_id, handler, subject, sequence, pid) VALUES (%s, %s, %s, %s, %s)",
            [event.id, handler, event.subject, event.sequence, os.getpid()],
        )


def _maybe_fail(event: Event, handler: str) -> None:
    failures = event.data.get("fail", {}).get(handler, 0)
    if failures:
        key = f"bus-test-failures:{event.id}:{handler}"
        cache.add(key, 0, timeout=600)
        if cache.incr(key) <= failures:
            raise RuntimeError(f"planned failure of {handler} for {event.id}")


@subscribe(THING_HAPPENED)
def first(event: Event) -> None:
    _record(event, "first")
    _maybe_fail(event, "first")
    if event.data.get("crash") and os.environ.get("BUS_TEST_CRASH") == "1":
        os._exit(17)  # the process dies mid-batch, after this handler's savepoint and before the commit


@subscribe(THING_HAPPENED)
def second(event: Event) -> None:
    _record(event, "second")
    time.sleep(event.data.get("sleep", 0))
    _maybe_fail(event, "second")
