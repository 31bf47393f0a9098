"""`shifts`' subscriptions to other apps' events: each translates an event into a call of a shifts service."""

from __future__ import annotations

from ukbot.core.events import Event, subscribe
from ukbot.shifts import services
from ukbot.users.events import USER_FORGOTTEN, UserForgotten


@subscribe(USER_FORGOTTEN)
def forget_locations(event: Event) -> None:
    """Blank the places a forgotten executor reported; safe to run twice and for a person who never worked."""
    forgotten: UserForgotten = event.payload
    services.executor_locations_forget(executor_id=forgotten.account_id)
