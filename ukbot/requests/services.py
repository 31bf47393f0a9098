"""Write use-cases of `requests`: numbering, creation, and every move of the state machine.

Each service is one transaction that locks the request row, validates, writes the change and its history, and
publishes its events into the outbox, so a refused call leaves nothing behind.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import (
    ConflictError,
    ErrorDetail,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from ukbot.core.events import publish
from ukbot.requests import sla
from ukbot.requests.events import (
    REQUEST_ASSIGNED,
    REQUEST_COMMENT_ADDED,
    REQUEST_COMPLETED,
    REQUEST_CREATED,
    REQUEST_STATUS_CHANGED,
    CommentAdded,
    RequestAssigned,
    RequestCompleted,
    RequestCreated,
    RequestStatusChanged,
)
from ukbot.requests.models import Comment, HistoryAction, Request, StatusChange
from ukbot.requests.statuses import (
    MOVES,
    NEEDS_REASON,
    RETURN_FROM_CLARIFICATION,
    Actor,
    Category,
    Source,
    Status,
    Urgency,
    allowed_moves,
)

MAX_DESCRIPTION = 4000
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")


def number_allocate(*, day) -> tuple[str, int]:
    """Give out the next number of ``day``: ``YYMMDD-NNN`` (four and more digits past 999).

    Runs in the caller's transaction: the upsert leaves the day's counter row locked until it commits, so concurrent
    creators get distinct, increasing numbers, and a creation that rolls back gives its number back.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO "requests"."day_counter" (day, last) VALUES (%s, 1)
               ON CONFLICT (day) DO UPDATE SET last = "requests"."day_counter".last + 1
               RETURNING last""",
            [day],
        )
        seq = cursor.fetchone()[0]
    return f"{day:%y%m%d}-{seq:03d}", seq


def _validate(*, category, urgency, source, description, contact_phone, visit_from, visit_to) -> dict:
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = _("Unknown category.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Unknown urgency.")
    if source not in Source.values:
        errors["source"] = _("Unknown source.")
    text = (description or "").strip()
    if not text:
        errors["description"] = _("Describe the problem.")
    elif len(text) > MAX_DESCRIPTION or "\x00" in text:
        errors["description"] = _("The description is at most 4000 characters of text.")
    phone = re.sub(r"[\s\-()]", "", contact_phone or "")
    if phone and not _PHONE.match(phone):
        errors["contact_phone"] = _("Enter a phone number such as +998901234567.")
    if visit_from and visit_to and visit_from >= visit_to:
        errors["visit_to"] = _("The visit window must end after it starts.")
    if errors:
        raise ValidationFailedError(details=errors)
    return {"description": text, "contact_phone": phone}


def request_create(
    *,
    applicant_id: int,
    category: str,
    description: str,
    urgency: str = Urgency.MEDIUM,
    source: str = Source.API,
    created_by: int | None = None,
    building_id: int | None = None,
    yard_id: int | None = None,
    apartment_id: int | None = None,
    entrance: str = "",
    floor: int | None = None,
    address: str = "",
    contact_phone: str = "",
    visit_from: datetime | None = None,
    visit_to: datetime | None = None,
) -> Request:
    """Create a request with the next number of today (company time zone); publish ``request.created``.

    :raises ValidationFailedError: unknown category, urgency or source; empty or overlong description; a bad phone;
        a visit window that ends before it starts.
    """
    clean = _validate(
        category=category,
        urgency=urgency,
        source=source,
        description=description,
        contact_phone=contact_phone,
        visit_from=visit_from,
        visit_to=visit_to,
    )
    with transaction.atomic():
        now = timezone.now()
        day = timezone.localdate(now)
        number, seq = number_allocate(day=day)
        reaction_deadline, resolution_deadline = sla.deadlines_for(urgency=urgency, created_at=now)
        request = Request.objects.create(
            number=number,
            day=day,
            seq=seq,
            applicant_id=applicant_id,
            source=source,
            created_by=created_by,
            category=category,
            urgency=urgency,
            building_id=building_id,
            yard_id=yard_id,
            apartment_id=apartment_id,
            entrance=entrance,
            floor=floor,
            address=address[:300],
            description=clean["description"],
            contact_phone=clean["contact_phone"],
            visit_from=visit_from,
            visit_to=visit_to,
            reaction_deadline=reaction_deadline,
            resolution_deadline=resolution_deadline,
        )
        StatusChange.objects.create(
            request=request,
            actor_id=created_by or applicant_id,
            actor_kind="creator",
            action=HistoryAction.CREATED,
            to_status=Status.NEW,
        )
        publish(
            REQUEST_CREATED,
            subject=number,
            data=RequestCreated(
                number=number,
                applicant_id=applicant_id,
                category=category,
                urgency=urgency,
                source=source,
                building_id=building_id,
                apartment_id=apartment_id,
            ),
        )
    return request


def _check_actor(request: Request, *, actor_kind: str, actor_id: int | None, to_status: str) -> None:
    if actor_kind == Actor.APPLICANT and actor_id != request.applicant_id:
        raise PermissionDeniedError(_("Only the applicant may do this."))
    claiming = request.status == Status.NEW and to_status == Status.ASSIGNED
    if actor_kind == Actor.EXECUTOR and not claiming and actor_id != request.executor_id:
        raise PermissionDeniedError(_("Only the assigned executor may do this."))


def request_move(
    *,
    number: str,
    to_status: str,
    actor_kind: str,
    actor_id: int | None,
    reason: str = "",
    executor_id: int | None = None,
    expected_version: int | None = None,
) -> Request:
    """Move a request to ``to_status`` if the state machine lets ``actor_kind`` do it; write history and events.

    An executor moving a new request to assigned claims it; a manager or the system names ``executor_id``.
    Leaving clarification returns to the status before it.

    :raises NotFoundError: no such request.
    :raises ConflictError: ``expected_version`` is stale (somebody changed the request meanwhile).
    :raises InvalidTransitionError: the move is not allowed; details name the allowed ones.
    :raises PermissionDeniedError: the actor is not this request's applicant or executor.
    :raises ValidationFailedError: a reason is missing where one is required, or no executor for an assignment.
    """
    with transaction.atomic():
        request = Request.objects.select_for_update().filter(pk=number).first()
        if request is None:
            raise NotFoundError(_("No such request."))
        if expected_version is not None and expected_version != request.version:
            raise ConflictError(_("The request was changed meanwhile. Reload it and try again."))
        old = request.status
        back_from_clarification = (
            old == Status.CLARIFICATION
            and to_status == request.status_before_clarification
            and actor_kind in RETURN_FROM_CLARIFICATION
        )
        if not back_from_clarification and actor_kind not in MOVES.get((old, to_status), ()):
            allowed = allowed_moves(old, actor_kind, before_clarification=request.status_before_clarification)
            raise InvalidTransitionError(
                details=[ErrorDetail(field="status", message=f"{old} → {target}") for target in allowed]
                or [ErrorDetail(field="status", message=str(_("No move is allowed from here.")))]
            )
        _check_actor(request, actor_kind=actor_kind, actor_id=actor_id, to_status=to_status)
        reason = (reason or "").strip()
        if (old, to_status) in NEEDS_REASON and not reason:
            raise ValidationFailedError(details={"reason": _("Say why.")})
        now = timezone.now()
        fields = {"status", "version"}
        previous_executor = request.executor_id
        if to_status == Status.ASSIGNED:
            executor = actor_id if actor_kind == Actor.EXECUTOR else executor_id
            if executor is None:
                raise ValidationFailedError(details={"executor_id": _("Name the executor.")})
            request.executor_id, request.assigned_at = executor, now
            fields |= {"executor_id", "assigned_at"}
        if to_status == Status.CLARIFICATION:
            request.status_before_clarification = old
            fields.add("status_before_clarification")
        elif old == Status.CLARIFICATION:
            request.status_before_clarification = ""
            fields.add("status_before_clarification")
        stamp = {
            Status.IN_PROGRESS: "started_at",
            Status.COMPLETED: "completed_at",
            Status.CONFIRMED: "confirmed_at",
            Status.ACCEPTED: "closed_at",
            Status.CANCELLED: "closed_at",
        }.get(to_status)
        if stamp and not (stamp == "started_at" and request.started_at):
            setattr(request, stamp, now)
            fields.add(stamp)
        request.status = to_status
        request.version += 1
        request.save(update_fields=sorted(fields))
        StatusChange.objects.create(
            request=request,
            actor_id=actor_id,
            actor_kind=actor_kind,
            from_status=old,
            to_status=to_status,
            reason=reason,
        )
        publish(
            REQUEST_STATUS_CHANGED,
            subject=number,
            data=RequestStatusChanged(
                number=number,
                old_status=old,
                new_status=to_status,
                actor_id=actor_id,
                actor_kind=actor_kind,
                reason=reason,
            ),
        )
        if to_status == Status.ASSIGNED:
            kind = {Actor.EXECUTOR: "claim", Actor.SYSTEM: "auto"}.get(actor_kind, "manual")
            publish(
                REQUEST_ASSIGNED,
                subject=number,
                data=RequestAssigned(
                    number=number,
                    executor_id=request.executor_id,
                    previous_executor_id=previous_executor,
                    assignment_type=kind,
                ),
            )
        if to_status == Status.COMPLETED:
            publish(
                REQUEST_COMPLETED,
                subject=number,
                data=RequestCompleted(number=number, executor_id=request.executor_id, completion_time=now.isoformat()),
            )
    return request


def comment_add(*, number: str, author_id: int, actor_kind: str, text: str, internal: bool = False) -> Comment:
    """Comment on a request; staff may mark it internal (never shown to applicants). Publishes
    ``request.comment_added``.

    :raises NotFoundError: no such request.
    :raises ValidationFailedError: empty, overlong or NUL-containing text; an applicant's internal comment.
    :raises ConflictError: the request was cancelled.
    """
    text = (text or "").strip()
    if not text or len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise ValidationFailedError(details={"text": _("A comment is 1 to 4000 characters of text.")})
    if internal and actor_kind == Actor.APPLICANT:
        raise ValidationFailedError(details={"internal": _("Only staff write internal comments.")})
    with transaction.atomic():
        request = Request.objects.select_for_update().filter(pk=number).first()
        if request is None:
            raise NotFoundError(_("No such request."))
        if request.status == Status.CANCELLED:
            raise ConflictError(_("The request was cancelled; it takes no more comments."))
        comment = Comment.objects.create(
            request=request, author_id=author_id, author_kind=actor_kind, text=text, internal=internal
        )
        publish(
            REQUEST_COMMENT_ADDED,
            subject=number,
            data=CommentAdded(
                number=number,
                comment_id=comment.pk,
                author_id=author_id,
                author_kind=actor_kind,
                comment_type="internal" if internal else "public",
            ),
        )
    return comment
