"""Typed payloads: publish takes only the type's payload class, handlers read it back from the outbox row."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from django.utils import timezone

from ukbot.core.events import Event, EventCatalogue, publish
from ukbot.core.models import OutboxEvent


@dataclasses.dataclass(frozen=True)
class Line:
    item: str
    quantity: str


@dataclasses.dataclass(frozen=True)
class ParcelSent:
    number: str
    lines: tuple[Line, ...]
    courier: Line | None
    tags: tuple[str, ...]
    weights: list[int]
    where: dict | None
    note: str = ""  # added after the first parcels were sent: older rows lack it


@dataclasses.dataclass(frozen=True)
class Other:
    number: str


catalogue = EventCatalogue("testing")
PARCEL_SENT = catalogue.define("parcel.sent", payload=ParcelSent)
PARCEL_LOST = catalogue.define("parcel.lost")  # no payload class: any dict goes, as before

SENT = ParcelSent(
    number="250101-001",
    lines=(Line(item="Tap", quantity="2.5"), Line(item="Seal", quantity="1")),
    courier=Line(item="bike", quantity="1"),
    tags=("fragile", "urgent"),
    weights=[3, 4],
    where={"lat": "41.3", "lon": "69.2"},
)


def _event(data: dict, type_name: str = "parcel.sent") -> Event:
    return Event(id=uuid.uuid4(), type=type_name, source="ukbot/testing", subject="s", time=timezone.now(), data=data)


@pytest.mark.django_db
def test_the_payload_comes_back_from_the_outbox_row_as_it_was_published():
    event = publish(PARCEL_SENT, subject="p1", data=SENT)

    stored = OutboxEvent.objects.get(id=event.id)
    assert stored.data["lines"] == [{"item": "Tap", "quantity": "2.5"}, {"item": "Seal", "quantity": "1"}]
    assert _event(stored.data).payload == SENT  # tuples and nested dataclasses rebuilt, not lists and dicts
    assert event.payload == SENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"number": "250101-001", "lines": [], "courier": None, "tags": [], "weights": [], "where": None},
        Other(number="250101-001"),
        None,
    ],
    ids=["dict", "another dataclass", "nothing"],
)
def test_publish_refuses_anything_but_the_payload_class_and_writes_nothing(data):
    with pytest.raises(TypeError, match=r"parcel\.sent takes a ParcelSent"):
        publish(PARCEL_SENT, subject="p1", data=data)

    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_a_type_without_a_payload_class_takes_a_dict_and_has_no_payload():
    event = publish(PARCEL_LOST, subject="p1", data={"where": "yard"})

    assert event.data == {"where": "yard"}
    with pytest.raises(LookupError, match="has no payload class"):
        event.payload  # noqa: B018


def test_an_older_row_reads_with_keys_dropped_since_ignored_and_keys_added_since_defaulted():
    older = {
        "number": "250101-002",
        "lines": [{"item": "Tap", "quantity": "1", "unit": "pcs"}],  # unit: a field Line no longer has
        "courier": None,
        "tags": ["x"],
        "weights": [1],
        "where": None,
        "sender_phone": "+998901112233",  # a field ParcelSent no longer has
    }

    payload = _event(older).payload

    assert payload == ParcelSent(
        number="250101-002",
        lines=(Line(item="Tap", quantity="1"),),
        courier=None,
        tags=("x",),
        weights=[1],
        where=None,
        note="",
    )


def test_a_row_without_a_field_that_has_no_default_fails_loudly():
    no_courier: dict[str, Any] = {"number": "1", "lines": [], "tags": [], "weights": [], "where": None}
    line_without_quantity = {**no_courier, "courier": None, "lines": [{"item": "Tap"}]}

    with pytest.raises(TypeError, match="ParcelSent needs 'courier'"):
        _event(no_courier).payload  # noqa: B018
    with pytest.raises(TypeError, match="Line needs 'quantity'"):
        _event(line_without_quantity).payload  # noqa: B018


def test_the_payload_is_rebuilt_once_per_event():
    event = _event(dataclasses.asdict(SENT))

    assert event.payload is event.payload


def test_only_frozen_dataclasses_are_payload_classes():
    @dataclasses.dataclass
    class Mutable:
        number: str

    class Plain:
        number: str

    with pytest.raises(TypeError, match="must be a frozen dataclass"):
        catalogue.define("parcel.mutable", payload=Mutable)
    with pytest.raises(TypeError, match="must be a dataclass"):
        catalogue.define("parcel.plain", payload=Plain)
    with pytest.raises(TypeError, match="must be a dataclass"):
        catalogue.define("parcel.instance", payload=SENT)  # type: ignore[arg-type]
