"""`auth`'s subscriptions to other apps' events: each translates an event into a call of an auth service."""

from __future__ import annotations

from ukbot.auth import services
from ukbot.core.events import Event, subscribe
from ukbot.users.events import USER_FORGOTTEN, UserForgotten


@subscribe(USER_FORGOTTEN)
def forget_account(event: Event) -> None:
    """Anonymise the account of a forgotten person and end their sessions; safe to run twice."""
    forgotten: UserForgotten = event.payload
    services.account_forget(account_id=forgotten.account_id)
