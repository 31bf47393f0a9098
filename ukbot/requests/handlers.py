"""`requests`' subscriptions to other apps' events."""

from __future__ import annotations

from ukbot.core.events import Event, subscribe
from ukbot.media.events import MEDIA_DELETED
from ukbot.requests.models import Attachment


@subscribe(MEDIA_DELETED)
def drop_deleted_attachment(event: Event) -> None:
    """A deleted file is no longer one of the request's attachments; safe to run twice."""
    if event.data.get("attached_kind") != "request":
        return
    Attachment.objects.filter(request_id=event.data["attached_id"], media_id=event.data["media_id"]).delete()
