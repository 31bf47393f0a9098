"""`requests`' subscriptions to other apps' events: each translates an event into a call of a requests service."""

from __future__ import annotations

from ukbot.core.events import Event, subscribe
from ukbot.media.events import MEDIA_DELETED, MediaDeleted
from ukbot.requests import services


@subscribe(MEDIA_DELETED)
def drop_deleted_attachment(event: Event) -> None:
    """A deleted file is no longer one of the request's attachments; safe to run twice."""
    deleted: MediaDeleted = event.payload
    if deleted.attached_kind == "request":
        services.attachment_drop(number=deleted.attached_id, media_id=deleted.media_id)
