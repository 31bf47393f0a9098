"""Every app keeps its tables in its own PostgreSQL schema and holds no foreign key into another app (DESIGN §2),
and the schema-aware backend lets Django see those tables (DESIGN §11): flush empties them, sequences reset."""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from ukbot.core.db import split_table
from ukbot.core.models import AggregateSequence, Delivery, OutboxEvent

SCHEMAS = {
    "auth",
    "users",
    "requests",
    "assignment",
    "shifts",
    "notifications",
    "media",
    "integrations",
    "analytics",
    "core",
}


def _our_app(model: type[Model]) -> str | None:
    """The dotted name of the ukbot app that owns ``model``, or None for Django's and third parties' models."""
    name = model._meta.app_config.name
    return name if name.startswith("ukbot.") else None


def _schema_of_app(app_name: str) -> str:
    return app_name.rsplit(".", 1)[1]  # ukbot.auth -> auth, ukbot.core -> core, ukbot.requests -> requests


def _our_models() -> list[type[Model]]:
    """Our models, the many-to-many tables Django creates for them included."""
    return [model for model in apps.get_models(include_auto_created=True) if _our_app(model)]


def test_the_apps_with_schemas_are_the_nine_domains_and_core():
    assert {_schema_of_app(name) for name in [*settings.DOMAIN_APPS, "ukbot.core"]} == SCHEMAS


def test_the_walk_sees_the_models_we_know_including_many_to_many_tables():
    tables = {model._meta.db_table for model in _our_models()}
    assert {
        'core"."outbox',
        'core"."delivery',
        'core"."aggregate_sequence',
        'auth"."account',
        'auth"."account_groups',
        'auth"."account_user_permissions',
    } <= tables


def test_every_table_is_in_the_schema_named_after_its_app():
    misplaced = {
        f"{model._meta.label} -> {model._meta.db_table}"
        for model in _our_models()
        if split_table(model._meta.db_table)[0] != _schema_of_app(_our_app(model))
    }
    assert misplaced == set()


def test_no_model_points_into_another_of_our_apps():
    crossing = set()
    for model in _our_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.related_model is None:
                continue  # reverse relations are the other side's fields, checked from there
            target_app = _our_app(field.related_model)
            if target_app and target_app != _our_app(model):
                crossing.add(f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}")
    assert crossing == set()


def test_the_bot_has_no_models():
    assert list(apps.get_app_config("bot").get_models(include_auto_created=True)) == []


def test_after_migrations_each_schema_holds_exactly_its_apps_tables(db):
    expected = {(schema, table) for schema, table in (split_table(m._meta.db_table) for m in _our_models())}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema = ANY(%s)",
            [sorted(SCHEMAS)],
        )
        found = set(cursor.fetchall())
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [sorted(SCHEMAS)])
        schemas = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY(%s)",
            [["django_migrations", "django_content_type", "auth_group", "auth_permission", "django_session"]],
        )
        public = {row[0] for row in cursor.fetchall()}
    assert schemas == SCHEMAS
    assert found == expected
    # Django's own tables stay in public, beside (not instead of) the app schemas.
    assert public == {"django_migrations", "django_content_type", "auth_group", "auth_permission", "django_session"}


# --- the schema-aware backend -----------------------------------------------------------------------------


def _fill_schema_tables() -> None:
    get_user_model().objects.create_user(username=f"flush-{uuid.uuid4().hex[:8]}", password="x")
    AggregateSequence.objects.create(aggregate="flush/1", last=3)


def _schema_table_counts() -> tuple[int, int]:
    return get_user_model().objects.count(), AggregateSequence.objects.count()


# The two tests below are mirror images: whichever runs second finds the tables the first one filled emptied
# by the flush that TransactionTestCase runs after each test. With Django's stock introspection the flush
# does not see tables outside public, and the second test finds the first one's rows.
def test_flush_between_transactional_tests_empties_schema_tables_first(transactional_db):
    assert _schema_table_counts() == (0, 0)
    _fill_schema_tables()
    assert _schema_table_counts() == (1, 1)


def test_flush_between_transactional_tests_empties_schema_tables_second(transactional_db):
    assert _schema_table_counts() == (0, 0)
    _fill_schema_tables()
    assert _schema_table_counts() == (1, 1)


def _two_deliveries() -> list[int]:
    event = OutboxEvent.objects.create(type="thing.happened", source="ukbot/testing", time=timezone.now())
    return [Delivery.objects.create(event=event, handler=f"h{i}", available_at=timezone.now()).id for i in range(2)]


# Mirror images again: a sequence reset that missed core.delivery would give the second test ids 3 and 4.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_reset_sequences_restarts_ids_in_schema_tables_first():
    assert _two_deliveries() == [1, 2]


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_reset_sequences_restarts_ids_in_schema_tables_second():
    assert _two_deliveries() == [1, 2]


def test_introspection_lists_schema_tables_under_their_qualified_names(db):
    names = connection.introspection.django_table_names(only_existing=True)
    assert {'core"."outbox', 'core"."delivery', 'auth"."account', 'auth"."account_groups'} <= set(names)
    assert "django_content_type" in names  # public tables keep their plain names


def test_introspection_finds_the_sequence_of_a_schema_table(db):
    sequences = connection.introspection.sequence_list()
    assert [seq for seq in sequences if seq["table"] == 'core"."delivery'] == [
        {"name": "delivery_id_seq", "table": 'core"."delivery', "column": "id"}
    ]


def test_introspection_finds_constraints_and_columns_of_a_schema_table_and_restores_search_path(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        before = cursor.fetchone()[0]
        constraints = connection.introspection.get_constraints(cursor, 'core"."delivery')
        columns = [column.name for column in connection.introspection.get_table_description(cursor, 'core"."delivery')]
        primary_key = connection.introspection.get_primary_key_columns(cursor, 'core"."delivery')
        cursor.execute("SELECT current_setting('search_path')")
        after = cursor.fetchone()[0]
    unique = constraints["delivery_event_handler_uniq"]
    assert (unique["columns"], unique["unique"], unique["primary_key"]) == (["event_id", "handler"], True, False)
    assert sorted(columns) == sorted(field.column for field in Delivery._meta.local_fields)
    assert primary_key == ["id"]
    assert after == before  # the look-up put the table's schema first only while it asked


@pytest.mark.django_db(transaction=True)
def test_select_for_update_of_works_on_tables_in_app_schemas():
    # PostgreSQL wants FOR UPDATE OF names without their schema; the backend strips it
    from django.db import transaction

    from ukbot.core.models import Delivery, OutboxEvent

    event = OutboxEvent.objects.create(type="t.x", source="ukbot/test", time=timezone.now())
    Delivery.objects.create(event=event, handler="h", available_at=timezone.now())
    with transaction.atomic():
        rows = list(Delivery.objects.select_related("event").select_for_update(of=("self", "event")))
    assert [row.handler for row in rows] == ["h"]
