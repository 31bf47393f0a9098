"""Publishing: the outbox row and its per-handler deliveries are written in the caller's transaction."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.dispatch import Signal
from django.utils import timezone

from ukbot.core.events.payloads import check_payload_class, payload_from_data
from ukbot.core.events.registry import registry
from ukbot.core.tracing import current_trace_id

logger = logging.getLogger(__name__)

KICK_KEY = "events:relay-kicked"
KICK_TTL_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class EventType:
    """A named event of one app, e.g. ``request.created`` from ``ukbot/requests``, with its payload class."""

    name: str
    source: str
    signal: Signal = dataclasses.field(compare=False, repr=False)
    payload: type | None = dataclasses.field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.name


class EventCatalogue:
    """The events one app publishes; ``signal`` is the app's Django signal, sent on every publish."""

    def __init__(self, app: str) -> None:
        self.app = app
        self.source = f"ukbot/{app}"
        self.signal = Signal()

    def define(self, name: str, *, payload: type | None = None) -> EventType:
        """Name an event type of this app; ``payload`` is the frozen dataclass every publish of it must pass.

        :raises ValueError: for a badly formed name or one another app defined.
        :raises TypeError: if ``payload`` is not a frozen dataclass.
        """
        if name.count(".") != 1 or not all(part.replace("_", "").isalnum() for part in name.split(".")):
            raise ValueError(f"event type names look like 'request.created', not {name!r}")
        if payload is not None:
            check_payload_class(payload)
        event_type = EventType(name=name, source=self.source, signal=self.signal, payload=payload)
        registry.add_type(event_type)
        return event_type


@dataclasses.dataclass(frozen=True)
class Event:
    """A delivered event: the CloudEvents 1.0 envelope plus correlation id and per-aggregate sequence."""

    id: uuid.UUID
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]
    correlationid: str = ""
    sequence: int | None = None
    specversion: str = "1.0"

    @functools.cached_property
    def payload(self) -> Any:
        """The data as an instance of the type's payload class (rebuilt once per event, extra keys ignored).

        :raises LookupError: if the type is unknown here or has no payload class (read ``data`` then).
        :raises TypeError: if the data lacks a field of the class that has no default.
        """
        payload_class = registry.get_type(self.type).payload
        if payload_class is None:
            raise LookupError(f"event type {self.type!r} has no payload class; read event.data")
        return payload_from_data(payload_class, self.data)

    def to_cloudevent(self) -> dict[str, Any]:
        return {
            "specversion": self.specversion,
            "id": str(self.id),
            "source": self.source,
            "type": self.type,
            "time": self.time.isoformat(),
            "subject": self.subject,
            "datacontenttype": "application/json",
            "data": self.data,
            "correlationid": self.correlationid,
            "sequence": self.sequence,
        }


def _payload(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    if not isinstance(data, dict):
        raise TypeError(f"event data must be a dataclass or a dict, not {type(data).__name__}")
    return data


_INSERT_EVENT = """
    WITH ev AS (
        INSERT INTO "core"."outbox" (id, type, source, subject, time, data, correlation_id, sequence)
        VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s)
        RETURNING id
    )
    INSERT INTO "core"."delivery"
        (event_id, handler, aggregate, status, attempts, available_at, last_error, created_at)
    SELECT ev.id, h, %s, 'pending', 0, %s, '', %s FROM ev, unnest(%s::text[]) AS h
"""
# The same with the subject's next sequence number taken in the same statement (one round trip per event, where
# a separate upsert cost a second); the number is the statement's result even when no handler gets a delivery.
_INSERT_SEQUENCED_EVENT = """
    WITH seq AS (
        INSERT INTO "core"."aggregate_sequence" (aggregate, last) VALUES (%s, 1)
        ON CONFLICT (aggregate) DO UPDATE SET last = "core"."aggregate_sequence".last + 1
        RETURNING last
    ), ev AS (
        INSERT INTO "core"."outbox" (id, type, source, subject, time, data, correlation_id, sequence)
        SELECT %s, %s, %s, %s, %s, %s::jsonb, %s, seq.last FROM seq
        RETURNING id
    ), deliveries AS (
        INSERT INTO "core"."delivery"
            (event_id, handler, aggregate, status, attempts, available_at, last_error, created_at)
        SELECT ev.id, h, %s, 'pending', 0, %s, '', %s FROM ev, unnest(%s::text[]) AS h
    )
    SELECT last FROM seq
"""


def publish(
    event_type: EventType,
    *,
    subject: str | int | None = None,
    data: Any = None,
    correlation_id: str | None = None,
    using: str = "default",
) -> Event:
    """Write an event to the outbox in the current transaction and send the app's signal.

    Nothing reaches subscribers unless the surrounding transaction commits. Events with the same subject are
    numbered (``sequence``) and handled in that order by each handler.

    :raises TypeError: if data is not an instance of the type's payload class (for a type that has one), is
        neither a dataclass nor a dict, or is not JSON-serialisable.
    :raises LookupError: if the event type was never defined in an ``events.py``.
    """
    if registry.get_type(event_type.name) != event_type:
        raise LookupError(f"event type {event_type.name!r} is not the one defined in the catalogue")
    if event_type.payload is not None and not isinstance(data, event_type.payload):
        raise TypeError(
            f"{event_type.name} takes a {event_type.payload.__qualname__} as data, not {type(data).__qualname__}"
        )
    payload = _payload(data)
    data_json = json.dumps(payload, cls=DjangoJSONEncoder)  # TypeError here, before anything is written
    subject_text = "" if subject is None else str(subject)
    aggregate = f"{event_type.source}/{subject_text}" if subject_text else ""
    event_id = uuid.uuid4()
    now = timezone.now()
    correlation = correlation_id or current_trace_id() or ""
    handlers = registry.handlers_for(event_type.name)
    sequence = None

    connection = connections[using]
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        row: list[Any] = [event_id, event_type.name, event_type.source, subject_text, now, data_json, correlation]
        deliveries: list[Any] = [aggregate, now, now, handlers]
        if aggregate:
            cursor.execute(_INSERT_SEQUENCED_EVENT, [aggregate, *row, *deliveries])
            sequence = cursor.fetchone()[0]
        else:
            cursor.execute(_INSERT_EVENT, [*row, None, *deliveries])
        event = Event(
            id=event_id,
            type=event_type.name,
            source=event_type.source,
            subject=subject_text,
            time=now,
            data=json.loads(data_json),
            correlationid=correlation,
            sequence=sequence,
        )
        # In-process receivers run inside the transaction: their writes roll back with it.
        event_type.signal.send(sender=event_type.source, event=event)
        # Entries are (savepoint ids, function, robust) since Django 4.2; django-stubs still describe pairs.
        if handlers and not any(entry[1] is kick_relay for entry in connection.run_on_commit):
            transaction.on_commit(kick_relay, using=using)
    return event


def kick_relay() -> None:
    """Wake a relay after a commit, from the kick thread (the caller does not wait on Redis or the broker); one
    kick stands for all commits until the relay drains the outbox."""
    from ukbot.core.kicks import kick_soon

    kick_soon("events.relay", _kick_relay_now)


def _kick_relay_now() -> None:
    from django.core.cache import cache

    from ukbot.core.tasks import relay_events

    try:
        if cache.add(KICK_KEY, "1", timeout=KICK_TTL_SECONDS):
            relay_events.delay()
    except Exception:
        # The data is committed and the beat sweep will deliver it; a broker hiccup must not fail anything.
        logger.warning("could not kick the event relay; the periodic sweep will deliver", exc_info=True)
