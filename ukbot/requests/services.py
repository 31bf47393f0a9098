"""Write use-cases of `requests`: numbering, creation, and every move of the state machine.

Each service is one transaction that locks the request row, validates, writes the change and its history, and
publishes its events into the outbox, so a refused call leaves nothing behind.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ukbot.core.db import insert_one
from ukbot.core.errors import (
    ConflictError,
    ErrorDetail,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from ukbot.core.events import publish
from ukbot.media import public as media_public
from ukbot.requests import sla
from ukbot.requests.events import (
    REQUEST_ASSIGNED,
    REQUEST_COMMENT_ADDED,
    REQUEST_COMPLETED,
    REQUEST_CREATED,
    REQUEST_MATERIALS_DECIDED,
    REQUEST_MATERIALS_REQUESTED,
    REQUEST_RATED,
    REQUEST_STATUS_CHANGED,
    REQUEST_UPDATED,
    CommentAdded,
    MaterialDecided,
    MaterialLine,
    MaterialsRequested,
    RequestAssigned,
    RequestCompleted,
    RequestCreated,
    RequestRated,
    RequestStatusChanged,
    RequestUpdated,
)
from ukbot.requests.models import (
    Attachment,
    AttachmentKind,
    Comment,
    HistoryAction,
    Material,
    MaterialStatus,
    Request,
    StatusChange,
)
from ukbot.requests.statuses import (
    FINAL,
    IN_HANDS,
    MOVES,
    NEEDS_REASON,
    OPEN,
    RETURN_FROM_CLARIFICATION,
    Actor,
    Category,
    Source,
    Status,
    Urgency,
    allowed_moves,
)
from ukbot.users import public as users_public

MAX_DESCRIPTION = 4000
_PHONE = re.compile(r"^\+?[0-9]{7,15}$")


_NEXT_OF_DAY = """
    INSERT INTO "requests"."day_counter" (day, last) VALUES (%s, 1)
    ON CONFLICT (day) DO UPDATE SET last = "requests"."day_counter".last + 1
    RETURNING last
"""
_NEXT_OF_DAY_AND_POLICY = f"""
    WITH counter AS ({_NEXT_OF_DAY})
    SELECT counter.last, policy.reaction_minutes, policy.resolution_minutes
    FROM counter LEFT JOIN "requests"."sla_policy" AS policy ON policy.urgency = %s
"""


def number_allocate(*, day) -> tuple[str, int]:
    """Give out the next number of ``day``: ``YYMMDD-NNN`` (four and more digits past 999).

    Runs in the caller's transaction: the upsert leaves the day's counter row locked until it commits, so concurrent
    creators get distinct, increasing numbers, and a creation that rolls back gives its number back.
    """
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_OF_DAY, [day])
        seq = cursor.fetchone()[0]
    return f"{day:%y%m%d}-{seq:03d}", seq


def _number_and_policy(*, day, urgency: str) -> tuple[str, int, tuple[int, int] | None]:
    """:func:`number_allocate` and the SLA policy of ``urgency`` (its reaction and resolution minutes, None when
    the row is missing) in one round trip: every creation needs both, and reading the policy fresh keeps an
    admin's edit effective on the next creation without a cache to invalidate."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_OF_DAY_AND_POLICY, [day, urgency])
        seq, reaction, resolution = cursor.fetchone()
    return f"{day:%y%m%d}-{seq:03d}", seq, (reaction, resolution) if reaction is not None else None


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
    place = _place(
        applicant_id=applicant_id,
        self_filed=created_by in (None, applicant_id) and source in (Source.BOT, Source.API),
        apartment_id=apartment_id,
        building_id=building_id,
    )
    if place is not None:
        building_id, yard_id, apartment_id = place.building_id, place.yard_id, place.apartment_id
        entrance = entrance or (str(place.entrance_number) if place.entrance_number else "")
        floor = floor if floor is not None else place.floor
        if not address:
            with translation.override(settings.LANGUAGE_CODE):
                address = place.building_address + (
                    ", " + _("apt. %(number)s") % {"number": place.apartment_number} if place.apartment_number else ""
                )
    with transaction.atomic():
        now = timezone.now()
        day = timezone.localdate(now)
        number, seq, minutes = _number_and_policy(day=day, urgency=urgency)
        reaction_deadline, resolution_deadline = sla.deadlines_from(urgency=urgency, minutes=minutes, created_at=now)
        request = Request(
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
            created_at=now,
            reaction_deadline=reaction_deadline,
            resolution_deadline=resolution_deadline,
            duplicate_of=_duplicate_of(apartment_id=apartment_id, category=category, now=now),
        )
        # written without the ORM's per-call statement building: a creation is the hottest write there is
        insert_one(request)
        insert_one(
            StatusChange(
                request=request,
                actor_id=created_by or applicant_id,
                actor_kind="creator",
                action=HistoryAction.CREATED,
                to_status=Status.NEW,
            )
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


def _locked(number: str) -> Request:
    """The request row, locked until the transaction ends. Call inside ``transaction.atomic``."""
    request = Request.objects.select_for_update().filter(pk=number).first()
    if request is None:
        raise NotFoundError(_("No such request."))
    return request


def _check_version(request: Request, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != request.version:
        raise ConflictError(_("The request was changed meanwhile. Reload it and try again."))


def _place(
    *, applicant_id: int, self_filed: bool, apartment_id: int | None, building_id: int | None
) -> users_public.Place | None:
    """Where the request is. Residents filing themselves use an apartment they are approved for (their primary
    one when they name none); staff may name any apartment or building."""
    if apartment_id is None and building_id is None:
        if not self_filed:
            return None
        homes = users_public.apartment_ids_of(account_id=applicant_id)
        return users_public.place_of(apartment_id=homes[0]) if homes else None
    place = users_public.place_of(apartment_id=apartment_id, building_id=building_id)
    field = "apartment_id" if apartment_id is not None else "building_id"
    if place is None:
        raise ValidationFailedError(details={field: _("No such place.")})
    if building_id is not None and place.building_id != building_id:
        raise ValidationFailedError(details={"building_id": _("The apartment is in another building.")})
    if (
        apartment_id is not None
        and self_filed
        and apartment_id not in users_public.apartment_ids_of(account_id=applicant_id)
    ):
        raise ValidationFailedError(details={"apartment_id": _("You are not linked to this apartment.")})
    return place


def _duplicate_of(*, apartment_id: int | None, category: str, now: datetime) -> Request | None:
    """The latest open request of the same apartment and category filed within the duplicate window."""
    if apartment_id is None:
        return None
    window = timedelta(hours=sla.settings_get().duplicate_window_hours)
    return (
        Request.objects.filter(
            apartment_id=apartment_id, category=category, status__in=OPEN, created_at__gte=now - window
        )
        .order_by("-created_at")
        .first()
    )


def _check_actor(request: Request, *, actor_kind: str, actor_id: int | None, to_status: str) -> None:
    claiming = request.status == Status.NEW and to_status == Status.ASSIGNED
    if not (claiming and actor_kind == Actor.EXECUTOR):  # a claim makes the request the executor's
        _check_party(request, actor_kind=actor_kind, actor_id=actor_id)


def _no_such_move(current: str, allowed) -> InvalidTransitionError:
    """The refusal of a move (of a request or a material line) that names the moves allowed from ``current``."""
    return InvalidTransitionError(
        details=[ErrorDetail(field="status", message=f"{current} → {target}") for target in allowed]
        or [ErrorDetail(field="status", message=str(_("No move is allowed from here.")))]
    )


def _check_executor(executor_id: int, *, category: str) -> None:
    """The executor must be verified (the executor role and an approved profile: verification or a manager's
    invitation approves it) and have the trade the category needs (or be universal)."""
    person = users_public.access_profile(account_id=executor_id)
    if "executor" not in person.roles or person.status != "approved":
        raise ValidationFailedError(details={"executor_id": _("This person is not a verified executor.")})
    trades = users_public.specializations_of(account_id=executor_id)
    if users_public.category_specialization(category=category) not in trades and "universal" not in trades:
        raise ValidationFailedError(details={"executor_id": _("This executor does not work in this category.")})


def _history(request: Request, *, actor_kind: str, actor_id: int | None, action: str, old: str, reason: str = ""):
    StatusChange.objects.create(
        request=request,
        actor_id=actor_id,
        actor_kind=actor_kind,
        action=action,
        from_status=old,
        to_status=request.status,
        reason=reason,
    )


def _assigned_event(request: Request, *, previous: int | None, kind: str) -> None:
    publish(
        REQUEST_ASSIGNED,
        subject=request.number,
        data=RequestAssigned(
            number=request.number,
            executor_id=request.executor_id,
            previous_executor_id=previous,
            assignment_type=kind,
        ),
    )


def _move(
    request: Request,
    *,
    to_status: str,
    actor_kind: str,
    actor_id: int | None,
    reason: str = "",
    executor_id: int | None = None,
) -> None:
    """Make one move of the state machine on a locked request: check, write, record history, publish."""
    old = request.status
    back_from_clarification = (
        old == Status.CLARIFICATION
        and to_status == request.status_before_clarification
        and actor_kind in RETURN_FROM_CLARIFICATION
    )
    if not back_from_clarification and actor_kind not in MOVES.get((old, to_status), ()):
        allowed = allowed_moves(old, actor_kind, before_clarification=request.status_before_clarification)
        raise _no_such_move(old, allowed)
    _check_actor(request, actor_kind=actor_kind, actor_id=actor_id, to_status=to_status)
    reason = (reason or "").strip()
    if len(reason) > 2000 or "\x00" in reason:
        raise ValidationFailedError(details={"reason": _("A reason is at most 2000 characters of text.")})
    needs_reason = (old, to_status) in NEEDS_REASON or (to_status == Status.ACCEPTED and actor_kind == Actor.MANAGER)
    if needs_reason and not reason:
        raise ValidationFailedError(details={"reason": _("Say why.")})
    if to_status == Status.COMPLETED and not request.attachments.filter(kind=AttachmentKind.AFTER).exists():
        raise ValidationFailedError(details={"photos": _("Add at least one photo of the finished work.")})
    now = timezone.now()
    fields = {"status", "version"}
    previous_executor = request.executor_id
    if to_status == Status.ASSIGNED and not back_from_clarification:
        executor = actor_id if actor_kind == Actor.EXECUTOR else executor_id
        if executor is None:
            raise ValidationFailedError(details={"executor_id": _("Name the executor.")})
        _check_executor(executor, category=request.category)
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
    _history(request, actor_kind=actor_kind, actor_id=actor_id, action=HistoryAction.MOVED, old=old, reason=reason)
    publish(
        REQUEST_STATUS_CHANGED,
        subject=request.number,
        data=RequestStatusChanged(
            number=request.number,
            old_status=old,
            new_status=to_status,
            actor_id=actor_id,
            actor_kind=actor_kind,
            reason=reason,
        ),
    )
    if to_status == Status.ASSIGNED and not back_from_clarification:
        kind = {Actor.EXECUTOR: "claim", Actor.SYSTEM: "auto"}.get(actor_kind, "manual")
        _assigned_event(request, previous=previous_executor, kind=kind)
    if to_status == Status.COMPLETED:
        publish(
            REQUEST_COMPLETED,
            subject=request.number,
            data=RequestCompleted(
                number=request.number, executor_id=request.executor_id, completion_time=now.isoformat()
            ),
        )
        if not sla.settings_get().manager_check:
            _move(
                request,
                to_status=Status.CONFIRMED,
                actor_kind=Actor.SYSTEM,
                actor_id=None,
                reason=str(_("Managers do not check completed work.")),
            )


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

    An executor moving a new request to assigned claims it; a manager or the system names ``executor_id`` (a
    verified executor of the category). Leaving clarification returns to the status before it. Completing needs an
    "after" photo; a manager accepting on the applicant's behalf needs a reason. When managers do not check work,
    completing also confirms.

    :raises NotFoundError: no such request.
    :raises ConflictError: ``expected_version`` is stale (somebody changed the request meanwhile).
    :raises InvalidTransitionError: the move is not allowed; details name the allowed ones.
    :raises PermissionDeniedError: the actor is not this request's applicant or executor.
    :raises ValidationFailedError: a missing reason, executor or photo; an executor who may not take it.
    """
    with transaction.atomic():
        request = _locked(number)
        _check_version(request, expected_version)
        _move(
            request,
            to_status=to_status,
            actor_kind=actor_kind,
            actor_id=actor_id,
            reason=reason,
            executor_id=executor_id,
        )
    return request


REASSIGNABLE = IN_HANDS  # an executor can be replaced while the work is theirs


def request_reassign(
    *,
    number: str,
    executor_id: int,
    actor_id: int,
    reason: str = "",
    actor_kind: str = Actor.MANAGER,
    expected_version: int | None = None,
) -> Request:
    """Give a request to an executor: assigns a new one, or replaces the executor of an open one, keeping its status.

    Publishes ``request.assigned`` naming the previous executor.

    :raises NotFoundError: no such request.
    :raises ConflictError: a stale version, or a request past the work (completed or later) or closed.
    :raises PermissionDeniedError: the actor is not a manager or the system.
    :raises ValidationFailedError: the executor is already assigned or may not take the request.
    """
    if actor_kind not in (Actor.MANAGER, Actor.SYSTEM):
        raise PermissionDeniedError(_("Only managers assign executors."))
    with transaction.atomic():
        request = _locked(number)
        _check_version(request, expected_version)
        if request.status == Status.NEW:
            _move(
                request,
                to_status=Status.ASSIGNED,
                actor_kind=actor_kind,
                actor_id=actor_id,
                reason=reason,
                executor_id=executor_id,
            )
            return request
        if request.status not in REASSIGNABLE:
            raise ConflictError(_("Only a request still being worked on can get another executor."))
        if executor_id == request.executor_id:
            raise ValidationFailedError(details={"executor_id": _("This executor is already assigned.")})
        _check_executor(executor_id, category=request.category)
        previous = request.executor_id
        request.executor_id, request.assigned_at = executor_id, timezone.now()
        request.version += 1
        request.save(update_fields=["executor_id", "assigned_at", "version"])
        _history(
            request,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=HistoryAction.REASSIGNED,
            old=request.status,
            reason=(reason or "").strip()[:2000],
        )
        _assigned_event(request, previous=previous, kind="reassign")
    return request


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
EDITABLE = {
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
        request = _locked(number)
        _check_version(request, expected_version)
        if request.status in FINAL:
            raise ConflictError(_("The request is closed; it cannot be edited."))
        if actor_kind == Actor.APPLICANT:
            if actor_id != request.applicant_id:
                raise PermissionDeniedError(_("Only the applicant may do this."))
            if request.status != Status.NEW:
                raise PermissionDeniedError(_("The request was taken into work; ask the manager to change it."))
        merged = {field: changes.get(field, getattr(request, field)) for field in MANAGER_EDITABLE}
        clean = _validate(
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
        _history(
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
    """Comment on a request; staff may mark it internal (never shown to applicants). Publishes
    ``request.comment_added``.

    :raises NotFoundError: no such request.
    :raises ValidationFailedError: empty, overlong or NUL-containing text; an applicant's internal comment.
    :raises ConflictError: the request was cancelled.
    """
    text = _comment_text(text)
    if internal and actor_kind == Actor.APPLICANT:
        raise ValidationFailedError(details={"internal": _("Only staff write internal comments.")})
    with transaction.atomic():
        request = _locked(number)
        if request.status == Status.CANCELLED:
            raise ConflictError(_("The request was cancelled; it takes no more comments."))
        comment = _comment(request, author_id=author_id, actor_kind=actor_kind, text=text, internal=internal)
    return comment


def _comment_text(text: str, *, field: str = "text") -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise ValidationFailedError(details={field: _("A comment is 1 to 4000 characters of text.")})
    return text


def _comment(request: Request, *, author_id: int, actor_kind: str, text: str, internal: bool = False) -> Comment:
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


# --- attachments -----------------------------------------------------------------------------------------------

MAX_ATTACHMENTS = 30
KINDS_BY_ACTOR = {
    Actor.APPLICANT: frozenset({AttachmentKind.BEFORE, AttachmentKind.DOCUMENT, AttachmentKind.RETURN}),
    Actor.EXECUTOR: frozenset({AttachmentKind.BEFORE, AttachmentKind.AFTER, AttachmentKind.DOCUMENT}),
    Actor.MANAGER: frozenset(AttachmentKind.values),
}


def _attach(
    request: Request, *, media_ids, kind: str, actor_id: int, actor_kind: str, field: str = "media_ids"
) -> list[Attachment]:
    if kind not in KINDS_BY_ACTOR.get(actor_kind, ()):
        raise ValidationFailedError(details={"kind": _("You cannot attach a file of this kind.")})
    media_ids = list(dict.fromkeys(media_ids))  # the same file twice in one call is one attachment
    known = set(request.attachments.values_list("media_id", flat=True))
    new = [media_id for media_id in media_ids if media_id not in known]
    if len(known) + len(new) > MAX_ATTACHMENTS:
        raise ValidationFailedError(details={field: _("A request holds at most 30 files.")})
    # only files the actor uploaded, not infected and not attached elsewhere; claimed in this transaction
    media_public.files_require_usable(
        media_ids=new, account_id=actor_id, field=field, kind="request", object_id=request.number
    )
    Attachment.objects.bulk_create(
        [Attachment(request=request, media_id=media_id, kind=kind, added_by=actor_id) for media_id in new]
    )
    media_public.attach(media_ids=new, kind="request", object_id=request.number)
    return list(request.attachments.filter(media_id__in=media_ids))


def attachments_add(*, number: str, media_ids, kind: str, actor_id: int, actor_kind: str) -> list[Attachment]:
    """Attach files (media ids) to an open request: applicants photos before and documents, executors also photos
    after, managers any kind. Attaching a file again is a no-op.

    :raises NotFoundError: no such request.
    :raises ConflictError: the request is closed.
    :raises PermissionDeniedError: not the applicant or the assigned executor.
    :raises ValidationFailedError: no files, a kind the actor may not attach, more than 30 files on the request, a
        file the actor did not upload (or unknown), an infected one, or one attached to something else.
    """
    if not media_ids:
        raise ValidationFailedError(details={"media_ids": _("Attach at least one file.")})
    with transaction.atomic():
        request = _locked(number)
        if request.status in FINAL:
            raise ConflictError(_("The request is closed; it takes no more files."))
        _check_party(request, actor_kind=actor_kind, actor_id=actor_id)
        return _attach(request, media_ids=media_ids, kind=kind, actor_id=actor_id, actor_kind=actor_kind)


def _check_party(request: Request, *, actor_kind: str, actor_id: int | None) -> None:
    if actor_kind == Actor.APPLICANT and actor_id != request.applicant_id:
        raise PermissionDeniedError(_("Only the applicant may do this."))
    if actor_kind == Actor.EXECUTOR and actor_id != request.executor_id:
        raise PermissionDeniedError(_("Only the assigned executor may do this."))


# --- completion and acceptance -----------------------------------------------------------------------------------


def request_complete(
    *, number: str, actor_id: int, photos, comment: str = "", expected_version: int | None = None
) -> Request:
    """The assigned executor reports the work done with "after" photos (at least one, here or attached before) and
    an optional public comment; publishes ``request.completed``.

    :raises ValidationFailedError: no "after" photo; a bad comment; a photo that is not usable (see
        :func:`attachments_add`).
    :raises InvalidTransitionError, PermissionDeniedError, ConflictError, NotFoundError: as :func:`request_move`.
    """
    comment = (comment or "").strip()
    if comment:
        comment = _comment_text(comment, field="comment")
    with transaction.atomic():
        request = _locked(number)
        _check_version(request, expected_version)
        _check_party(request, actor_kind=Actor.EXECUTOR, actor_id=actor_id)
        if photos and request.status == Status.IN_PROGRESS:
            _attach(
                request,
                media_ids=photos,
                kind=AttachmentKind.AFTER,
                actor_id=actor_id,
                actor_kind=Actor.EXECUTOR,
                field="photos",
            )
        _move(request, to_status=Status.COMPLETED, actor_kind=Actor.EXECUTOR, actor_id=actor_id, reason=comment)
        if comment:
            _comment(request, author_id=actor_id, actor_kind=Actor.EXECUTOR, text=comment)
    return request


def request_accept(
    *,
    number: str,
    actor_kind: str,
    actor_id: int | None,
    rating: int | None = None,
    feedback: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Request:
    """Close confirmed work as accepted: the applicant with a 1–5 rating and optional feedback; a manager on the
    applicant's behalf with a mandatory ``reason`` (and no rating); the system after the configured days.

    :raises ValidationFailedError: a missing or out-of-range rating, feedback over 2000 characters, a manager
        without a reason or with a rating.
    :raises InvalidTransitionError, PermissionDeniedError, ConflictError, NotFoundError: as :func:`request_move`.
    """
    feedback = (feedback or "").strip()
    if actor_kind == Actor.APPLICANT:
        _check_rating(rating, feedback)
    elif rating is not None or feedback:
        raise ValidationFailedError(details={"rating": _("Only the applicant rates the work.")})
    with transaction.atomic():
        request = _locked(number)
        _check_version(request, expected_version)
        _move(request, to_status=Status.ACCEPTED, actor_kind=actor_kind, actor_id=actor_id, reason=reason)
        if rating is not None:
            _rate(request, rating=rating, feedback=feedback)
    return request


def _check_rating(rating, feedback: str) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailedError(details={"rating": _("Rate the work from 1 to 5.")})
    if len(feedback) > 2000 or "\x00" in feedback:
        raise ValidationFailedError(details={"feedback": _("Feedback is at most 2000 characters of text.")})


def _rate(request: Request, *, rating: int, feedback: str) -> None:
    request.rating, request.feedback = rating, feedback
    request.version += 1
    request.save(update_fields=["rating", "feedback", "version"])
    publish(
        REQUEST_RATED,
        subject=request.number,
        data=RequestRated(
            number=request.number, rating=rating, executor_id=request.executor_id, applicant_id=request.applicant_id
        ),
    )


def request_rate(*, number: str, actor_id: int, rating: int, feedback: str = "") -> Request:
    """The applicant rates accepted work that has no rating yet (accepted automatically or by a manager).

    :raises ConflictError: the request is not accepted, or is rated already.
    :raises PermissionDeniedError: not the applicant.
    :raises ValidationFailedError: a rating outside 1–5 or overlong feedback.
    """
    feedback = (feedback or "").strip()
    _check_rating(rating, feedback)
    with transaction.atomic():
        request = _locked(number)
        _check_party(request, actor_kind=Actor.APPLICANT, actor_id=actor_id)
        if request.status != Status.ACCEPTED:
            raise ConflictError(_("Work is rated once it is accepted."))
        if request.rating is not None:
            raise ConflictError(_("This request is rated already."))
        _rate(request, rating=rating, feedback=feedback)
    return request


def request_return(
    *,
    number: str,
    actor_kind: str,
    actor_id: int,
    reason: str,
    photos=(),
    expected_version: int | None = None,
) -> Request:
    """Send work back: the applicant returns confirmed work (``returned``) with a reason and optional photos; a
    manager returns completed work to the executor (``in_progress``) with a reason.

    :raises ValidationFailedError: no reason; a photo that is not usable (see :func:`attachments_add`).
    :raises InvalidTransitionError, PermissionDeniedError, ConflictError, NotFoundError: as :func:`request_move`.
    """
    target = Status.RETURNED if actor_kind == Actor.APPLICANT else Status.IN_PROGRESS
    with transaction.atomic():
        request = _locked(number)
        _check_version(request, expected_version)
        _move(request, to_status=target, actor_kind=actor_kind, actor_id=actor_id, reason=reason)
        if photos:
            _attach(
                request,
                media_ids=photos,
                kind=AttachmentKind.RETURN,
                actor_id=actor_id,
                actor_kind=actor_kind,
                field="photos",
            )
    return request


def clarification_answer(*, number: str, actor_id: int, answer: str) -> Request:
    """The applicant answers the manager's question: the answer becomes a public comment and the request returns
    to the status it had before the question.

    :raises ConflictError: no question is open.
    :raises PermissionDeniedError: not the applicant.
    :raises ValidationFailedError: an empty or overlong answer.
    """
    answer = _comment_text(answer, field="answer")
    with transaction.atomic():
        request = _locked(number)
        _check_party(request, actor_kind=Actor.APPLICANT, actor_id=actor_id)
        if request.status != Status.CLARIFICATION:
            raise ConflictError(_("No question is waiting for your answer."))
        _comment(request, author_id=actor_id, actor_kind=Actor.APPLICANT, text=answer)
        _move(
            request,
            to_status=request.status_before_clarification,
            actor_kind=Actor.APPLICANT,
            actor_id=actor_id,
            reason=answer[:2000],
        )
    return request


# --- materials ---------------------------------------------------------------------------------------------------

MAX_MATERIAL_LINES = 50
MATERIAL_STAGES = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MATERIALS})
MATERIAL_MOVES = {
    MaterialStatus.REQUESTED: frozenset({MaterialStatus.APPROVED, MaterialStatus.REJECTED}),
    MaterialStatus.APPROVED: frozenset({MaterialStatus.ISSUED, MaterialStatus.REJECTED}),
}


def _material_lines(items) -> list[dict]:
    if not items or len(items) > MAX_MATERIAL_LINES:
        raise ValidationFailedError(details={"items": _("List 1 to 50 items.")})
    lines, errors = [], {}
    for index, line in enumerate(items):
        name = str(line.get("item") or "").strip()
        unit = str(line.get("unit") or "").strip()
        try:
            quantity = Decimal(str(line.get("quantity"))).quantize(Decimal("0.001"))
        except (InvalidOperation, ValueError):
            quantity = None
        if not name or len(name) > 200 or "\x00" in name:
            errors[f"items[{index}].item"] = _("Name the item (up to 200 characters).")
        if not unit or len(unit) > 20 or "\x00" in unit:
            errors[f"items[{index}].unit"] = _("Give the unit (up to 20 characters), e.g. pcs, m, kg.")
        if quantity is None or not quantity.is_finite() or not Decimal("0") < quantity < Decimal("1000000"):
            errors[f"items[{index}].quantity"] = _("The quantity is a number above 0 and below 1,000,000.")
        lines.append({"item": name, "unit": unit, "quantity": quantity})
    if errors:
        raise ValidationFailedError(details=errors)
    return lines


def materials_request(*, number: str, actor_kind: str, actor_id: int, items, wait: bool = False) -> list[Material]:
    """Ask for materials (item, quantity, unit) for a request being worked on; with ``wait`` an in-progress request
    moves to ``waiting_materials``. Publishes ``request.materials_requested`` with the list.

    :raises ConflictError: the request is not assigned or in work.
    :raises PermissionDeniedError: not the assigned executor or a manager.
    :raises ValidationFailedError: no items, over 50, or a bad item, quantity or unit (details name the line).
    """
    if actor_kind not in (Actor.EXECUTOR, Actor.MANAGER):
        raise PermissionDeniedError(_("Only the executor or a manager asks for materials."))
    lines = _material_lines(items)
    with transaction.atomic():
        request = _locked(number)
        _check_party(request, actor_kind=actor_kind, actor_id=actor_id)
        if request.status not in MATERIAL_STAGES:
            raise ConflictError(_("Materials are asked for while the request is being worked on."))
        created = Material.objects.bulk_create(
            [Material(request=request, requested_by=actor_id, **line) for line in lines]
        )
        publish(
            REQUEST_MATERIALS_REQUESTED,
            subject=number,
            data=MaterialsRequested(
                number=number,
                executor_id=request.executor_id,
                materials_list=tuple(
                    MaterialLine(material_id=m.pk, item=m.item, quantity=str(m.quantity.normalize()), unit=m.unit)
                    for m in created
                ),
            ),
        )
        if wait and request.status == Status.IN_PROGRESS:
            _move(request, to_status=Status.WAITING_MATERIALS, actor_kind=actor_kind, actor_id=actor_id)
    return created


def material_decide(*, material_id: int, to_status: str, actor_id: int, reason: str = "") -> Material:
    """A manager approves, issues or rejects (with a reason) a material line; publishes
    ``request.materials_decided``.

    :raises NotFoundError: no such material.
    :raises InvalidTransitionError: e.g. issuing a rejected line; details name the allowed moves.
    :raises ValidationFailedError: rejecting without a reason.
    :raises ConflictError: the request is closed.
    """
    reason = (reason or "").strip()
    if len(reason) > 500 or "\x00" in reason:
        raise ValidationFailedError(details={"reason": _("A reason is at most 500 characters of text.")})
    with transaction.atomic():
        material = Material.objects.select_for_update().filter(pk=material_id).first()
        if material is None:
            raise NotFoundError(_("No such material."))
        request = _locked(material.request_id)
        if request.status in FINAL:
            raise ConflictError(_("The request is closed."))
        allowed = MATERIAL_MOVES.get(material.status, frozenset())
        if to_status not in allowed:
            raise _no_such_move(material.status, sorted(allowed))
        if to_status == MaterialStatus.REJECTED and not reason:
            raise ValidationFailedError(details={"reason": _("Say why.")})
        material.status, material.decided_by, material.reason = to_status, actor_id, reason
        material.save(update_fields=["status", "decided_by", "reason", "updated_at"])
        publish(
            REQUEST_MATERIALS_DECIDED,
            subject=request.number,
            data=MaterialDecided(
                number=request.number,
                material_id=material.pk,
                item=material.item,
                status=to_status,
                reason=reason,
                executor_id=request.executor_id,
                decided_by=actor_id,
            ),
        )
    return material
