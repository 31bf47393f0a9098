"""Database helpers shared by every app: schema-per-app tables, the migration that creates a schema, and the few
statements hot paths write by hand (an INSERT kept per model, a SELECT of a model's columns)."""

from __future__ import annotations

from django.db import connections, migrations
from django.db.models import signals


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


_insert_statements: dict[tuple, tuple[str, tuple, tuple]] = {}


def _insert_statement(model, connection, with_auto_pk: bool) -> tuple[str, tuple, tuple]:
    key = (model, connection.alias, with_auto_pk)
    statement = _insert_statements.get(key)
    if statement is None:
        meta, quote = model._meta, connection.ops.quote_name
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
    ``pre_save``/``post_save`` receivers, a multi-table child, or a value that is an expression or needs its own
    placeholder.
    """
    model, meta = type(instance), instance._meta
    if meta.parents or signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
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


def from_row(model, row, *, using: str = "default"):
    """The instance of ``model`` read from a row that starts with the columns of :func:`select_list` (any further
    values are ignored), with each value converted as the ORM would convert it."""
    fields = model._meta.concrete_fields
    connection = connections[using]
    reader = _readers.get((model, using))
    if reader is None:
        found = ((index, field, field.get_db_converters(connection)) for index, field in enumerate(fields))
        reader = _readers[(model, using)] = ([field.attname for field in fields], tuple(c for c in found if c[2]))
    attnames, converters = reader
    values = list(row[: len(fields)])
    for index, field, field_converters in converters:
        for converter in field_converters:
            values[index] = converter(values[index], field, connection)
    return model.from_db(using, attnames, values)
