from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection

from ukbot.core.events.bus import KICK_KEY
from ukbot.core.tests import bus_handlers


@pytest.fixture
def effects(transactional_db):
    """The bus_test_effect table, empty; returns a reader of its rows in the order they were written."""
    with connection.cursor() as cursor:
        cursor.execute(bus_handlers.EFFECT_TABLE_SQL)
        cursor.execute("TRUNCATE bus_test_effect")
    cache.delete(KICK_KEY)

    def read() -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id, handler, subject, sequence, pid FROM bus_test_effect ORDER BY serial")
            return cursor.fetchall()

    return read


@pytest.fixture
def fast_retries(settings):
    settings.EVENTS_BACKOFF_BASE_SECONDS = 0
    settings.EVENTS_MAX_ATTEMPTS = 3


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child process (relay, worker) that must use this test run's database."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{quote(db['USER'] or 'postgres')}@{host}{port}/{db['NAME']}",
        "EVENTS_EXTRA_HANDLER_MODULES": "ukbot.core.tests.bus_handlers",
        **extra,
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env
