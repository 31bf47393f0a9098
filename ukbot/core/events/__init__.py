"""The event bus: Django signals in-process, a transactional outbox across apps (DESIGN §3).

Each app declares its event types in its ``events.py``::

    catalogue = EventCatalogue("requests")
    REQUEST_CREATED = catalogue.define("request.created")

publishes them from a service, inside the transaction that changed the data::

    publish(REQUEST_CREATED, subject=number, data=RequestCreated(...))

and other apps subscribe in their ``handlers.py``::

    @subscribe(requests_events.REQUEST_CREATED)
    def notify_applicant(event: Event) -> None: ...

Handlers run later, in a relay, at least once; the inbox makes them effectively once per (event, handler).
"""

from ukbot.core.events.bus import Event, EventCatalogue, EventType, kick_relay, publish
from ukbot.core.events.registry import registry, subscribe

__all__ = ["Event", "EventCatalogue", "EventType", "kick_relay", "publish", "registry", "subscribe"]
