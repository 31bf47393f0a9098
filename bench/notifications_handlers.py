"""The notification benchmark's request event and the subscriber that queues one Telegram message per event.

A stand-in for the real routing in ``ukbot/notifications/handlers.py``: it does what a handler must (queue in the
relay's transaction, dedupe by event id), without the look-ups of a real request. Loaded by the bench and by the
worker it starts (EVENTS_EXTRA_HANDLER_MODULES).
"""

from __future__ import annotations

from ukbot.core.events import Event, EventCatalogue, subscribe
from ukbot.notifications.services import delivery

catalogue = EventCatalogue("bench")
BENCH_REQUEST_CREATED = catalogue.define("bench_request.created")


@subscribe(BENCH_REQUEST_CREATED)
def queue_telegram_message(event: Event) -> None:
    delivery.enqueue(
        account_id=event.data["account_id"],
        channel="telegram",
        text=f"Request <b>{event.subject}</b> is received.",
        buttons=[[{"text": "Open", "callback_data": f"req:open:{event.subject}"}]],
        event_type=event.type,
        subject=event.subject,
        dedupe_key=f"bench:{event.id}",
    )
