"""Editing a request's details, and comments on it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.requests import access, sla
from ukbot.requests.events import REQUEST_COMMENT_ADDED, REQUEST_UPDATED, CommentAdded, RequestUpdated
from ukbot.requests.models import Comment, HistoryAction, Request
from ukbot.requests.services.common import MAX_DESCRIPTION, check_party, check_version, history_write, locked
from ukbot.requests.services.creation import fields_validate
from ukbot.requests.statuses import FINAL, Actor, Status

# the details a manager may edit, in the order forms show them; applicants edit a few of them while new
MANAGER_EDITABLE = (
    "category",
    "urgency",
    "description",
    "contact_phone",
    "address",
    "entrance",
    "floor",
    "visit_from",
    "visit_to",
)
EDITABLE: dict[str, frozenset[str]] = {
    Actor.MANAGER: frozenset(MANAGER_EDITABLE),
    Actor.APPLICANT: frozenset({"description", "contact_phone", "entrance", "floor", "visit_from", "visit_to"}),
}


def request_update(
    *,
    number: str,
    actor_kind: str,
    actor_id: int | None,
    changes: dict,
    expected_version: int | None = None,
) -> Request:
    """Edit a request's details: managers while it is open; applicants their own while it is new.

    A new urgency recomputes the deadlines from the creation time. Writes an "edited" history row naming the
    changed fields and publishes ``request.updated``; changes equal to the current values write nothing.

    :raises NotFoundError: no such request.
    :raises ConflictError: a stale version, or a closed request.
    :raises PermissionDeniedError: executors, or an applicant on another's request or after it was taken.
    :raises ValidationFailedError: unknown or not editable fields; invalid values (as at creation).
    """
    allowed = EDITABLE.get(actor_kind)
    if allowed is None:
        raise PermissionDeniedError(_("Only managers and the applicant edit a request."))
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationFailedError(details={field: _("This field cannot be changed here.") for field in unknown})
    with transaction.atomic():
        request = locked(number)
        check_version(request, expected_version)
        if request.status in FINAL:
            raise ConflictError(_("The request is closed; it cannot be edited."))
        check_party(request, actor_kind=actor_kind, actor_id=actor_id)
        if actor_kind == Actor.APPLICANT and request.status != Status.NEW:
            raise PermissionDeniedError(_("The request was taken into work; ask the manager to change it."))
        merged = {field: changes.get(field, getattr(request, field)) for field in MANAGER_EDITABLE}
        clean = fields_validate(
            category=merged["category"],
            urgency=merged["urgency"],
            source=request.source,
            description=merged["description"],
            contact_phone=merged["contact_phone"] or "",
            visit_from=merged["visit_from"],
            visit_to=merged["visit_to"],
        )
        merged.update(clean)
        if len(merged["address"] or "") > 300 or len(merged["entrance"] or "") > 10:
            raise ValidationFailedError(details={"address": _("The address is too long.")})
        changed = sorted(field for field in changes if merged[field] != getattr(request, field))
        if not changed:
            return request
        for field in changed:
            setattr(request, field, merged[field])
        fields = set(changed) | {"version"}
        if "urgency" in changed:
            request.reaction_deadline, request.resolution_deadline = sla.deadlines_for(
                urgency=request.urgency, created_at=request.created_at
            )
            fields |= {"reaction_deadline", "resolution_deadline"}
            now = timezone.now()
            for deadline, stamp in (
                ("reaction_deadline", "reaction_breached_at"),
                ("resolution_deadline", "resolution_breached_at"),
            ):
                if getattr(request, stamp) and getattr(request, deadline) > now:
                    setattr(request, stamp, None)  # the new deadline is not missed yet: a later miss is a new breach
                    fields.add(stamp)
        request.version += 1
        request.save(update_fields=sorted(fields))
        history_write(
            request,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=HistoryAction.EDITED,
            old=request.status,
            reason=", ".join(changed),
        )
        publish(
            REQUEST_UPDATED,
            subject=number,
            data=RequestUpdated(number=number, changed_fields=tuple(changed), actor_id=actor_id, actor_kind=actor_kind),
        )
    return request


def comment_add(*, number: str, author_id: int, actor_kind: str, text: str, internal: bool = False) -> Comment:
    """Comment on a request as a party to it (its applicant, not a co-resident; its executor, not one reading it in
    the pool; a manager); managers may mark it internal (shown to managers only). Publishes
    ``request.comment_added``.

    :raises NotFoundError: no such request.
    :raises ValidationFailedError: empty, overlong or NUL-containing text; an internal comment by anyone but a
        manager.
    :raises PermissionDeniedError: not a party to the request (:func:`access.may_act`).
    :raises ConflictError: the request was cancelled.
    """
    text = comment_text(text)
    if internal and not access.reads_internal(actor_kind=actor_kind):
        raise ValidationFailedError(details={"internal": _("Only managers write internal comments.")})
    with transaction.atomic():
        request = locked(number)
        check_party(request, actor_kind=actor_kind, actor_id=author_id)
        if request.status == Status.CANCELLED:
            raise ConflictError(_("The request was cancelled; it takes no more comments."))
        comment = comment_write(request, author_id=author_id, actor_kind=actor_kind, text=text, internal=internal)
    return comment


def comment_text(text: str, *, field: str = "text") -> str:
    """Return the comment stripped.

    :raises ValidationFailedError: empty, over 4000 characters or containing NUL (details under ``field``).
    """
    text = (text or "").strip()
    if not text or len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise ValidationFailedError(details={field: _("A comment is 1 to 4000 characters of text.")})
    return text


def comment_write(request: Request, *, author_id: int, actor_kind: str, text: str, internal: bool = False) -> Comment:
    """Write a comment on a locked request and publish ``request.comment_added``."""
    comment = Comment.objects.create(
        request=request, author_id=author_id, author_kind=actor_kind, text=text, internal=internal
    )
    publish(
        REQUEST_COMMENT_ADDED,
        subject=request.number,
        data=CommentAdded(
            number=request.number,
            comment_id=comment.pk,
            author_id=author_id,
            author_kind=actor_kind,
            comment_type="internal" if internal else "public",
        ),
    )
    return comment
