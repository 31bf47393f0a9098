"""Forgetting a person in `requests` (docs/decisions/0024): the requests they filed stay, with their ids,
statuses, times, places (ids) and rating, because the company needs the history of work on an apartment; what
the person wrote or said about themselves is replaced by a neutral marker or blanked."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q

from ukbot.core.events import payloads_redact
from ukbot.media import public as media_public
from ukbot.requests.events import REQUEST_STATUS_CHANGED
from ukbot.requests.models import Attachment, AttachmentKind, Comment, Request, StatusChange

# Stands in for a forgotten person's text where a value is required (a description, a comment): no language,
# nothing to translate, and plainly not what anybody typed.
FORGOTTEN_TEXT = "—"

# Photos of the problem in the person's home, whoever attached them (a manager filing a phone call attaches them
# too); photos of the finished work and the executor's documents are the company's record of the work.
_PERSONAL_KINDS = (AttachmentKind.BEFORE, AttachmentKind.RETURN)


@transaction.atomic
def person_forget(*, account_id: int) -> dict[str, int]:
    """Anonymise what `requests` holds about a forgotten person; safe twice and for a person with nothing here.

    Their requests keep everything but the description (marker), contact phone, address text and feedback; their
    comments on any request keep their place and time with the text replaced; reasons they gave for moves are
    blanked in the history and in the events; files they attached, and photos of the problem on their requests,
    are deleted from storage (the attachment rows go when ``media.deleted`` comes back). Returns counts per kind.
    """
    filed = Request.objects.filter(applicant_id=account_id)
    requests = filed.exclude(description=FORGOTTEN_TEXT, contact_phone="", address="", feedback="").update(
        description=FORGOTTEN_TEXT,
        contact_phone="",
        address="",
        feedback="",
        version=F("version") + 1,
    )
    comments = Comment.objects.filter(author_id=account_id).exclude(text=FORGOTTEN_TEXT).update(text=FORGOTTEN_TEXT)
    reasons = StatusChange.objects.filter(actor_id=account_id).exclude(reason="").update(reason="")
    payloads_redact(types=[REQUEST_STATUS_CHANGED.name], match={"actor_id": account_id}, fields={"reason": ""})
    files = list(
        Attachment.objects.filter(
            Q(added_by=account_id) | Q(request__applicant_id=account_id, kind__in=_PERSONAL_KINDS)
        )
        .values_list("media_id", flat=True)
        .distinct()
    )
    deleted = media_public.files_forget(media_ids=files) if files else 0
    return {"requests": requests, "comments": comments, "reasons": reasons, "files": deleted}
