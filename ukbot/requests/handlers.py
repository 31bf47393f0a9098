"""`requests`' subscriptions to other apps' events: each translates an event into a call of a requests service."""

from __future__ import annotations

from ukbot.core.events import Event, subscribe
from ukbot.media.events import MEDIA_DELETED, MediaDeleted
from ukbot.requests import services
from ukbot.users.events import USER_FORGOTTEN, UserForgotten


@subscribe(MEDIA_DELETED)
def drop_deleted_attachment(event: Event) -> None:
    """A deleted file is no longer one of the request's attachments; safe to run twice."""
    deleted: MediaDeleted = event.payload
    if deleted.attached_kind == "request":
        services.attachment_drop(number=deleted.attached_id, media_id=deleted.media_id)


@subscribe(USER_FORGOTTEN)
def forget_applicant(event: Event) -> None:
    """Anonymise the requests, comments and reasons of a forgotten person; safe to run twice."""
    forgotten: UserForgotten = event.payload
    services.person_forget(account_id=forgotten.account_id)
