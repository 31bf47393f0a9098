"""PostgreSQL backend that understands schema-qualified table names (``'requests"."request'``).

Django's stock introspection only sees tables visible on ``search_path`` and matches ``relname`` against the whole
``db_table`` string, so ``flush`` (used by TransactionTestCase), sequence resets and constraint look-ups during
migrations silently miss tables in app schemas. This backend lists every table of every non-system schema under
its qualified name and, for per-table look-ups, puts the table's schema first on ``search_path`` while it asks.

In a UTC session it also reads ``timestamptz`` values with :class:`ukbot.core.db.fast.UtcTimestampLoader` (the C
``datetime.fromisoformat`` instead of psycopg's Python parser), kept with the other speed-ups on Django's internals.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC

from django.conf import settings
from django.db.backends.postgresql import base, introspection, operations

from ukbot.core.db import split_table
from ukbot.core.db.fast import utc_timestamp_adapters


class DatabaseIntrospection(introspection.DatabaseIntrospection):
    def get_table_list(self, cursor):
        cursor.execute(
            """
            SELECT
                CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '"."' || c.relname END,
                CASE
                    WHEN c.relispartition THEN 'p'
                    WHEN c.relkind IN ('m', 'v') THEN 'v'
                    ELSE 't'
                END,
                obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
                AND n.nspname NOT IN ('pg_catalog', 'pg_toast', 'information_schema')
                AND n.nspname NOT LIKE 'pg_temp_%%'
                AND n.nspname NOT LIKE 'pg_toast_temp_%%'
                AND (n.nspname <> 'public' OR pg_catalog.pg_table_is_visible(c.oid))
            """
        )
        # PostgreSQL's TableInfo (it adds the table comment) is missing from django-stubs
        table_info = introspection.TableInfo  # type: ignore[attr-defined]
        return [table_info(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]

    @contextmanager
    def _schema_first(self, cursor, table_name):
        schema, table = split_table(table_name)
        if schema == "public":
            yield table
            return
        cursor.execute("SELECT current_setting('search_path')")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('search_path', %s, false)", [f'"{schema}", {previous}'])
        try:
            yield table
        finally:
            cursor.execute("SELECT set_config('search_path', %s, false)", [previous])

    def get_table_description(self, cursor, table_name):
        with self._schema_first(cursor, table_name) as table:
            return super().get_table_description(cursor, table)

    def get_sequences(self, cursor, table_name, table_fields=()):
        with self._schema_first(cursor, table_name) as table:
            sequences = super().get_sequences(cursor, table, table_fields)
        # Callers reset sequences through pg_get_serial_sequence(table), so hand back the qualified name.
        return [{**seq, "table": table_name} for seq in sequences]

    def get_relations(self, cursor, table_name):
        with self._schema_first(cursor, table_name) as table:
            return super().get_relations(cursor, table)

    def get_primary_key_columns(self, cursor, table_name):
        with self._schema_first(cursor, table_name) as table:
            return super().get_primary_key_columns(cursor, table)

    def get_constraints(self, cursor, table_name):
        with self._schema_first(cursor, table_name) as table:
            return super().get_constraints(cursor, table)


class DatabaseOperations(operations.DatabaseOperations):
    def for_update_sql(self, nowait=False, skip_locked=False, of=(), no_key=False):
        # PostgreSQL names the locked relations of FOR UPDATE OF as they appear in FROM, without their schema:
        # select_for_update(of=("self",)) on a table in an app schema would otherwise fail.
        of = tuple('"{}"'.format(name.split('"."')[-1].strip('"')) if '"."' in name else name for name in of)
        return super().for_update_sql(nowait=nowait, skip_locked=skip_locked, of=of, no_key=no_key)


class DatabaseWrapper(base.DatabaseWrapper):
    introspection_class = DatabaseIntrospection
    ops_class = DatabaseOperations

    def get_connection_params(self):
        params = super().get_connection_params()
        # Only where Django's own loader would be registered for UTC: its per-cursor check then keeps ours.
        if settings.USE_TZ and self.timezone is UTC and "context" in params:
            params["context"] = utc_timestamp_adapters(settings.USE_TZ, self.timezone)
        return params
