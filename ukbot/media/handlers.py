"""`media`'s subscriptions to other apps' events: each translates an event into a call of a media service."""

from __future__ import annotations

from ukbot.core.events import Event, subscribe
from ukbot.media import services
from ukbot.users.events import USER_FORGOTTEN, UserForgotten


@subscribe(USER_FORGOTTEN)
def forget_files(event: Event) -> None:
    """Delete the files a forgotten person uploaded (bytes and names); safe to run twice and for a person who
    never uploaded anything."""
    forgotten: UserForgotten = event.payload
    services.media_forget(account_id=forgotten.account_id)
