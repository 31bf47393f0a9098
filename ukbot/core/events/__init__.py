"""The event bus: Django signals in-process, a transactional outbox across apps (DESIGN §3).

Each app declares its event types in its ``events.py``, with their payloads (frozen dataclasses)::

    catalogue = EventCatalogue("requests")
    REQUEST_CREATED = catalogue.define("request.created", payload=RequestCreated)

publishes them from a service, inside the transaction that changed the data (any other data is refused)::

    publish(REQUEST_CREATED, subject=number, data=RequestCreated(...))

and other apps subscribe in their ``handlers.py``, reading the payload rebuilt from the outbox row::

    @subscribe(requests_events.REQUEST_CREATED)
    def notify_applicant(event: Event) -> None:
        created: RequestCreated = event.payload

Handlers run later, in a relay, at least once; the inbox makes them effectively once per (event, handler).
"""

from ukbot.core.events.bus import Event, EventCatalogue, EventType, kick_relay, publish
from ukbot.core.events.redact import payloads_of, payloads_redact
from ukbot.core.events.registry import registry, subscribe

__all__ = [
    "Event",
    "EventCatalogue",
    "EventType",
    "kick_relay",
    "payloads_of",
    "payloads_redact",
    "publish",
    "registry",
    "subscribe",
]
