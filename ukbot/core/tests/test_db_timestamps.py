"""``timestamptz`` values read by the backend's fast loader are exactly what Django's own loader gives."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from ukbot.core.db.fast import UtcTimestampLoader

pytestmark = pytest.mark.django_db

VALUES = [
    "2026-11-25 18:23:45.123456+00",
    "2026-11-25 23:23:45+05",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00.5-03:30",
]


def _read(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchone())


def _with_djangos_loader(sql: str, params=()) -> list:
    class DjangoUtc(BaseTzLoader):
        timezone = UTC

    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", DjangoUtc)
        cursor.execute(sql, params)
        return list(cursor.fetchone())


def test_the_connection_reads_timestamps_with_the_fast_loader():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(1184, 0) is UtcTimestampLoader


def test_values_equal_djangos_and_are_aware_in_utc():
    sql = "SELECT " + ", ".join("%s::timestamptz" for _ in VALUES)
    fast, django = _read(sql, VALUES), _with_djangos_loader(sql, VALUES)
    assert fast == django
    assert [value.tzinfo for value in fast] == [UTC] * len(VALUES)
    assert [value.isoformat() for value in fast] == [value.isoformat() for value in django]


def test_outside_a_utc_session_and_for_unreadable_values_djangos_loader_decides():
    sql = "SELECT '2026-11-25 18:23:45+00'::timestamptz, NULL::timestamptz"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Tashkent'")
        cursor.execute(sql)
        fast = list(cursor.fetchone())
    assert fast == _with_djangos_loader_in_tashkent(sql)
    with pytest.raises(Exception) as fast_error:
        _read("SELECT 'infinity'::timestamptz")
    with pytest.raises(Exception) as django_error:
        _with_djangos_loader("SELECT 'infinity'::timestamptz")
    assert type(fast_error.value) is type(django_error.value)


def _with_djangos_loader_in_tashkent(sql: str) -> list:
    class DjangoUtc(BaseTzLoader):
        timezone = UTC

    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", DjangoUtc)
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Tashkent'")
        cursor.execute(sql)
        return list(cursor.fetchone())
