"""The event the chaos load publishes and the two handlers that count each delivery, loaded by every process of a
chaos test through EVENTS_EXTRA_HANDLER_MODULES.

Each handler writes one ``chaos_effect`` row in its own savepoint of the relay's batch, so a batch that dies before
its commit leaves no row, and a delivery run twice leaves two: the checker counts rows per (event, handler).
A short pause after the write keeps a batch open long enough for a test to kill the relay in the middle of it.
"""

from __future__ import annotations

import os
import time

from django.db import connection

from ukbot.core.events import Event, EventCatalogue, subscribe

catalogue = EventCatalogue("chaos")
LOAD_PUBLISHED = catalogue.define("load.published")
PAUSE_SECONDS = 0.004

EFFECT_TABLE_SQL = """
    CREATE TABLE IF NOT EXISTS chaos_effect (
        serial bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        handler text NOT NULL,
        pid int NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
    )
"""


def _effect(event: Event, handler: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chaos_effect (event_id, handler, pid) VALUES (%s, %s, %s)", [event.id, handler, os.getpid()]
        )
    time.sleep(PAUSE_SECONDS)


@subscribe(LOAD_PUBLISHED)
def record(event: Event) -> None:
    _effect(event, f"{__name__}.record")


@subscribe(LOAD_PUBLISHED)
def tally(event: Event) -> None:
    _effect(event, f"{__name__}.tally")
