"""Database helpers shared by every app: schema-per-app tables and the migration that creates a schema.

The helpers of hand-written statements on hot paths (an INSERT kept per model, a SELECT of a model's columns) live
in :mod:`ukbot.core.db.fast` with the other speed-ups built on Django's internals; they are re-exported here for
the call sites that import them from ``ukbot.core.db``.
"""

from __future__ import annotations

from django.db import migrations

from ukbot.core.db.fast import from_row, insert_one, select_list

__all__ = ["create_schema", "from_row", "insert_one", "select_list", "split_table"]


def split_table(db_table: str) -> tuple[str, str]:
    """Return (schema, table) for a ``db_table`` such as ``'requests"."request'``; plain names are in public."""
    if '"."' in db_table:
        schema, table = db_table.split('"."', 1)
        return schema.strip('"'), table.strip('"')
    return "public", db_table


def create_schema(name: str) -> migrations.RunSQL:
    """The first operation of every app's first migration: create the app's own Postgres schema."""
    if not name.isidentifier() or name.lower() != name:
        raise ValueError(f"schema name must be a lower-case identifier, got {name!r}")
    return migrations.RunSQL(
        sql=f'CREATE SCHEMA IF NOT EXISTS "{name}"',
        # Reversing the first migration leaves an empty schema behind its dropped tables: drop it too.
        reverse_sql=f'DROP SCHEMA IF EXISTS "{name}"',
    )
