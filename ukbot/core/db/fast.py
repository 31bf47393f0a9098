"""The database speed-ups that lean on private Django and psycopg internals, in one place.

Each one replaces a framework path that costs more CPU than the database takes for the work (decision 0015), and
each relies on something Django or psycopg does not promise to keep. They were checked against the versions in
:data:`CHECKED_AGAINST`. ``ukbot/core/tests/test_fast_paths.py`` fails on another minor version, and when the
source of a framework function in :data:`FRAMEWORK_CODE` changes, until somebody re-reads what is listed below
for it, runs the comparisons, and updates :data:`CHECKED_AGAINST`, :data:`FRAMEWORK_CODE` and the pins in
pyproject.toml together (decision 0017).

**insert_one**: an INSERT kept per model instead of ``Model.save(force_insert=True)``.
    Relies on ``Options.local_concrete_fields``, ``db_returning_fields``, ``auto_field``, ``parents`` and
    ``order_with_respect_to``, ``Field.generated``, ``Model._prepare_related_fields_for_save()``, setting
    ``Model._state.adding``/``db``, and on doing what ``Model._save_table``/``_do_insert`` do for a new row:
    ``pre_save(instance, add=True)``, ``get_db_prep_save``, a field's ``get_placeholder`` or an expression
    value going through the ORM, and the primary key read back with RETURNING. Checked by
    ``test_db_insert`` (rows stored as ``save`` stores them; save's refusals; its receivers).

**select_list / from_row**: model instances read from a hand-written SELECT.
    Relies on ``Options.concrete_fields`` being the columns the ORM selects, in its order, and on converting
    each value as ``SQLCompiler.get_converters`` does (``connection.ops.get_db_converters(col)`` then
    ``col.get_db_converters(connection)``) before ``Model.from_db``. Checked by
    ``test_from_row_converts_every_model_as_the_compiler_does`` and ``test_db_insert``.

**UtcTimestampLoader / utc_timestamp_adapters**: ``timestamptz`` parsed with the C ``datetime.fromisoformat``.
    Relies on ``django.db.backends.postgresql.psycopg_any.BaseTzLoader`` and ``get_adapters_template`` (private
    to Django's backend), on ``DatabaseWrapper.get_connection_params()["context"]`` being the adapters map each
    connection starts from, and on ``DatabaseWrapper.create_cursor`` keeping a ``timestamptz`` loader whose
    ``timezone`` is the connection's; from psycopg, on ``AdaptersMap(template)`` copying a map,
    ``register_loader`` and ``Loader.load``; from PostgreSQL, on the ISO DateStyle of a UTC session. Checked by
    ``test_db_timestamps`` (values and errors equal Django's loader's).

Hand-written statements in the apps build on these; each has its own comparison with the ORM (decision 0015):
``auth.selectors.account_and_session`` (the token tests) and ``requests.selectors.page.requests_page``
(``test_requests_page_matches_the_orm``), which also writes Django's PostgreSQL ``icontains`` by hand
(``UPPER(col::text) LIKE UPPER(%s)`` with ``connection.ops.prep_for_like_query``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from django.db import connections
from django.db.backends.postgresql.psycopg_any import BaseTzLoader, get_adapters_template
from django.db.models import signals

# The releases everything above was read and compared against; test_fast_paths holds the installed ones to the
# same minor versions, and so do the pins in pyproject.toml.
CHECKED_AGAINST = {"django": "5.2.19", "psycopg": "3.3.9"}

# The framework code these tricks mirror or hook into, by a fingerprint of its source as read at those releases
# (test_fast_paths computes it): a patch release that changes one of them fails that test until it is re-read.
FRAMEWORK_CODE = {
    "django.db.models.base.Model._save_table": "03fef1abeda317b8",
    "django.db.models.base.Model._do_insert": "5e3ef8e969e6a45f",
    "django.db.models.sql.compiler.SQLCompiler.get_converters": "5b222e61b5f20105",
    "django.db.models.sql.compiler.SQLCompiler.apply_converters": "8d732980244b38c4",
    "django.db.backends.postgresql.psycopg_any.get_adapters_template": "25ba152d1ff913e7",
    "django.db.backends.postgresql.base.DatabaseWrapper.get_connection_params": "d08f4eb7685cbe1c",
    "django.db.backends.postgresql.base.DatabaseWrapper.create_cursor": "8210108016843b5a",
}


_insert_statements: dict[tuple, tuple[str, tuple, tuple]] = {}


def _insert_statement(model, connection, with_auto_pk: bool) -> tuple[str, tuple, tuple]:
    key = (model, connection.alias, with_auto_pk)
    statement = _insert_statements.get(key)
    if statement is None:
        meta, quote = model._meta, connection.ops.quote_name
        # The fields and RETURNING of Model._save_table for a new row.
        fields = tuple(
            field
            for field in meta.local_concrete_fields
            if not field.generated and (with_auto_pk or field is not meta.auto_field)
        )
        returning = tuple(field for field in meta.db_returning_fields if field not in fields)
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table), ", ".join(quote(field.column) for field in fields), ", ".join(["%s"] * len(fields))
        )
        if returning:
            sql += " RETURNING " + ", ".join(quote(field.column) for field in returning)
        statement = _insert_statements[key] = (sql, fields, returning)
    return statement


def insert_one(instance, *, using: str = "default") -> None:
    """INSERT a new model instance, as ``instance.save(force_insert=True)`` would, with one statement kept per model.

    Building and compiling an INSERT through the ORM costs several times what the database takes to run it, which
    hot write paths (a new request and its first history row) feel. The values are what ``save`` would write
    (each field's ``pre_save`` and ``get_db_prep_save``, so defaults and ``auto_now_add`` apply), and an
    auto-incremented primary key is read back. Whatever this does not cover takes ``save``: a model with
    ``pre_save``/``post_save`` receivers, a multi-table child, ``order_with_respect_to``, or a value that is an
    expression or needs its own placeholder.
    """
    model, meta = type(instance), instance._meta
    if (
        meta.parents
        or meta.order_with_respect_to
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
    ):
        instance.save(force_insert=True, using=using)
        return
    connection = connections[using]
    auto_pk = meta.auto_field is not None and getattr(instance, meta.auto_field.attname) is not None
    sql, fields, returning = _insert_statement(model, connection, auto_pk)
    if any(field is not meta.auto_field for field in returning):  # generated columns and the like: converted by save
        instance.save(force_insert=True, using=using)
        return
    instance._prepare_related_fields_for_save(operation_name="save")  # what save checks of related objects
    values = []
    for field in fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression") or hasattr(field, "get_placeholder"):
            instance.save(force_insert=True, using=using)
            return
        values.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if returning:
            for field, value in zip(returning, cursor.fetchone(), strict=True):
                setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = using


_columns: dict[tuple, str] = {}
_readers: dict[tuple, tuple[list[str], tuple]] = {}


def select_list(model, *, alias: str, using: str = "default") -> str:
    """The quoted columns of ``model``'s concrete fields, as ``alias."column", …``: the start of a hand-written
    SELECT whose rows :func:`from_row` turns into instances."""
    key = (model, alias, using)
    columns = _columns.get(key)
    if columns is None:
        quote = connections[using].ops.quote_name
        columns = _columns[key] = ", ".join(f"{quote(alias)}.{quote(f.column)}" for f in model._meta.concrete_fields)
    return columns


def _converters(model, connection) -> tuple:
    """(index, field, converters) for each column that has converters, as ``SQLCompiler.get_converters`` finds
    them for the model's columns."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            found.append((index, field, tuple(converters)))
    return tuple(found)


def from_row(model, row, *, using: str = "default"):
    """The instance of ``model`` read from a row that starts with the columns of :func:`select_list` (any further
    values are ignored), with each value converted as the ORM would convert it."""
    connection = connections[using]
    reader = _readers.get((model, using))
    if reader is None:
        attnames = [field.attname for field in model._meta.concrete_fields]
        reader = _readers[(model, using)] = (attnames, _converters(model, connection))
    attnames, converters = reader
    values = list(row[: len(attnames)])
    for index, field, field_converters in converters:
        for converter in field_converters:
            values[index] = converter(values[index], field, connection)
    return model.from_db(using, attnames, values)


class UtcTimestampLoader(BaseTzLoader):
    """Django's ``timestamptz`` loader for a UTC session, parsing with ``datetime.fromisoformat``.

    Django's loader subclasses psycopg's parser, written in Python (about 0.3 ms of CPU for a page of 20 requests,
    each with several times). In a UTC session PostgreSQL writes ``2026-11-25 18:23:45.123456+00``, which
    ``fromisoformat`` reads into an aware datetime in ``datetime.UTC``, what Django's loader gives. Anything else
    (another session zone, another DateStyle, infinity, years before 1 or after 9999) goes to Django's loader, so
    results and errors stay its.
    """

    timezone = UTC

    def load(self, data):
        try:
            value = datetime.fromisoformat(bytes(data).decode())
        except ValueError:
            return super().load(data)
        return value if value.tzinfo is UTC else super().load(data)


@cache
def utc_timestamp_adapters(use_tz: bool, timezone):
    """Django's adapters map for a connection (``get_adapters_template``), with :class:`UtcTimestampLoader` for
    ``timestamptz``: the backend hands it to psycopg as the connection's ``context`` where the session is UTC."""
    adapters = type(get_adapters_template(use_tz, timezone))(get_adapters_template(use_tz, timezone))
    adapters.register_loader("timestamptz", UtcTimestampLoader)
    return adapters
