"""insert_one writes what ``save(force_insert=True)`` would, and hands over to ``save`` for what it does not cover;
from_row reads a hand-written SELECT as the ORM reads it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import signals
from django.forms.models import model_to_dict
from django.utils import timezone

from ukbot.core.db.fast import from_row, insert_one, select_list
from ukbot.core.models import AggregateSequence, Delivery, OutboxEvent

pytestmark = pytest.mark.django_db


def _event(subject: str) -> OutboxEvent:
    return OutboxEvent.objects.create(
        type="thing.happened", source="ukbot/testing", subject=subject, time=timezone.now()
    )


def _stored(row) -> dict:
    fields = model_to_dict(type(row).objects.get(pk=row.pk))
    return {name: value for name, value in fields.items() if name not in ("id", "event")}


def test_a_row_is_stored_as_save_stores_it():
    # given the same new delivery saved by the ORM and written by insert_one
    event, later = _event("a"), timezone.now()
    saved = Delivery(event=event, handler="one", available_at=later, last_error="x")
    saved.save(force_insert=True)
    written = Delivery(event=event, handler="two", available_at=later, last_error="x")

    insert_one(written)

    # then the auto key is read back, the instance counts as saved, and the stored rows agree field by field
    assert written.pk is not None and written.pk != saved.pk
    assert not written._state.adding and written._state.db == "default"
    assert written.created_at is not None  # auto_now_add, set on the instance as save sets it
    assert {**_stored(saved), "handler": "two"} == _stored(written)
    assert Delivery.objects.get(pk=written.pk).event_id == event.pk


def test_a_model_with_a_natural_key_is_stored_whole():
    insert_one(AggregateSequence(aggregate="x/1", last=4))

    assert AggregateSequence.objects.get(aggregate="x/1").last == 4


def test_an_unsaved_related_object_is_refused_as_save_refuses_it():
    unsaved = OutboxEvent(type="thing.happened", source="ukbot/testing", time=timezone.now())
    unsaved.pk = None

    with pytest.raises(ValueError, match="unsaved related object"):
        insert_one(Delivery(event=unsaved, handler="one", available_at=timezone.now()))


def test_a_model_with_save_receivers_goes_through_save():
    # given a post_save receiver on the model
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.handler, created))

    signals.post_save.connect(receiver, sender=Delivery)
    try:
        insert_one(Delivery(event=_event("b"), handler="heard", available_at=timezone.now()))
    finally:
        signals.post_save.disconnect(receiver, sender=Delivery)

    # then the receiver ran, as for any save
    assert seen == [("heard", True)]


def test_a_hand_written_select_reads_instances_as_the_orm_does():
    event = OutboxEvent.objects.create(
        type="demo.happened", source="demo", subject="1", time=timezone.now(), data={"a": [1, "два"], "b": None}
    )
    sql = f'SELECT {select_list(OutboxEvent, alias="e")}, 42 FROM "core"."outbox" e WHERE e.id = %s'
    with connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
        row = cursor.fetchone()

    read = from_row(OutboxEvent, row)  # the trailing 42 is not a column of the model

    expected = OutboxEvent.objects.get(pk=event.pk)
    assert model_to_dict(read) == model_to_dict(expected)
    assert read.data == {"a": [1, "два"], "b": None}  # JSON goes through the field's converter
    assert (read.pk, read._state.adding, read._state.db) == (event.pk, False, "default")
