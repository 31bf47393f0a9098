"""The lock that serialises giving work to one executor, shared by dispatch and by executors claiming from the pool
(through :mod:`ukbot.assignment.public`): a transaction-scoped PostgreSQL advisory lock per executor.

Whoever holds it reads the executor's load knowing nobody else can add to it until the transaction ends. Take it
before locking a request's row, always in that order, so that two holders cannot wait on each other.
"""

from __future__ import annotations

from django.db import connection

_EXECUTOR_LOCK_CLASS = 0x55_4B_41  # "UKA": the advisory-lock class of executors being given work


def executor_lock(executor_id: int) -> None:
    """Hold the executor's lock until the current transaction ends. Call inside ``transaction.atomic``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_EXECUTOR_LOCK_CLASS, executor_id % 2**31])
