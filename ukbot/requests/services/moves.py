"""Moves of the state machine: one :func:`move` for every change of status, the services that make them, and
re-assignment. Who may make which move is :mod:`ukbot.requests.statuses` and :mod:`ukbot.requests.access`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.assignment import public as assignment_public
from ukbot.core.errors import AppError, InvalidTransitionError, PermissionDeniedError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.requests import access, selectors, sla
from ukbot.requests.events import (
    REQUEST_ASSIGNED,
    REQUEST_COMPLETED,
    REQUEST_STATUS_CHANGED,
    RequestAssigned,
    RequestCompleted,
    RequestStatusChanged,
)
from ukbot.requests.models import AttachmentKind, HistoryAction, Request
from ukbot.requests.services.common import (
    check_party,
    check_version,
    history_write,
    locked,
    no_such_move,
    what_happened,
)
from ukbot.requests.statuses import (
    IN_HANDS,
    MOVES,
    NEEDS_REASON,
    RETURN_FROM_CLARIFICATION,
    Actor,
    Status,
    allowed_moves,
)
from ukbot.users import public as users_public


def _check_claim(request: Request, *, executor_id: int | None) -> None:
    """An executor claims from the pool only what the pool holds for them (:func:`selectors.pool_categories`: a
    category their trades cover, while on shift in that trade); the refusal says which half is missing."""
    if executor_id is not None and request.category in selectors.pool_categories(executor_id=executor_id):
        return
    needed = users_public.category_specialization(category=request.category)
    trades = users_public.specializations_of(account_id=executor_id) if executor_id is not None else {}
    if needed not in trades and "universal" not in trades:
        raise PermissionDeniedError(_("This request needs another specialization."))
    raise PermissionDeniedError(_("Start your shift to take requests from the pool."))


def _check_capacity(*, executor_id: int | None) -> None:
    """An executor claims only while they hold fewer open requests than dispatch allows anyone; the caller holds
    the executor's dispatch lock (:func:`request_move`), so the count cannot grow meanwhile."""
    held = Request.objects.filter(executor_id=executor_id, status__in=sorted(IN_HANDS)).count()
    if held >= assignment_public.executor_capacity():
        raise AppError(
            "EXECUTOR_AT_CAPACITY", _("You already hold as many open requests as allowed. Finish one first.")
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


def _assigned_event(request: Request, *, previous: int | None, kind: str) -> None:
    assert request.executor_id is not None  # called once an executor is set
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


def move(
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
        raise no_such_move(old, allowed, message=what_happened(request, actor_kind=actor_kind, actor_id=actor_id))
    if access.is_claim(actor_kind=actor_kind, to_status=to_status):
        _check_claim(request, executor_id=actor_id)  # a claim makes the request the executor's
        _check_capacity(executor_id=actor_id)
    else:
        check_party(request, actor_kind=actor_kind, actor_id=actor_id)
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
    stamps: dict[str, str] = {
        Status.IN_PROGRESS: "started_at",
        Status.COMPLETED: "completed_at",
        Status.CONFIRMED: "confirmed_at",
        Status.ACCEPTED: "closed_at",
        Status.CANCELLED: "closed_at",
    }
    stamp = stamps.get(to_status)
    if stamp and not (stamp == "started_at" and request.started_at):
        setattr(request, stamp, now)
        fields.add(stamp)
    request.status = to_status
    request.version += 1
    request.save(update_fields=sorted(fields))
    history_write(request, actor_kind=actor_kind, actor_id=actor_id, action=HistoryAction.MOVED, old=old, reason=reason)
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
        kinds: dict[str, str] = {Actor.EXECUTOR: "claim", Actor.SYSTEM: "auto"}
        kind = kinds.get(actor_kind, "manual")
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
            move(
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
    :raises PermissionDeniedError: the actor is not this request's applicant or executor; an executor claiming a
        request of a trade they do not have, or while not on shift in that trade.
    :raises AppError: EXECUTOR_AT_CAPACITY: an executor claiming while holding as many open requests as dispatch
        allows.
    :raises ValidationFailedError: a missing reason, executor or photo; an executor who may not take it.
    """
    with transaction.atomic():
        if access.is_claim(actor_kind=actor_kind, to_status=to_status) and actor_id is not None:
            # before the request's row: dispatch takes the two in this order too
            assignment_public.executor_lock(executor_id=actor_id)
        request = locked(number)
        check_version(request, expected_version)
        move(
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
    :raises ConflictError: a stale version.
    :raises InvalidTransitionError: a request past the work (completed or later) or closed.
    :raises PermissionDeniedError: the actor is not a manager or the system.
    :raises ValidationFailedError: the executor is already assigned or may not take the request.
    """
    if actor_kind not in (Actor.MANAGER, Actor.SYSTEM):
        raise PermissionDeniedError(_("Only managers assign executors."))
    with transaction.atomic():
        request = locked(number)
        check_version(request, expected_version)
        if request.status == Status.NEW:
            move(
                request,
                to_status=Status.ASSIGNED,
                actor_kind=actor_kind,
                actor_id=actor_id,
                reason=reason,
                executor_id=executor_id,
            )
            return request
        if request.status not in REASSIGNABLE:
            # A refusal by status, answered as every other move refuses one (not as a stale version).
            raise InvalidTransitionError(_("Only a request still being worked on can get another executor."))
        if executor_id == request.executor_id:
            raise ValidationFailedError(details={"executor_id": _("This executor is already assigned.")})
        _check_executor(executor_id, category=request.category)
        previous = request.executor_id
        request.executor_id, request.assigned_at = executor_id, timezone.now()
        request.version += 1
        request.save(update_fields=["executor_id", "assigned_at", "version"])
        history_write(
            request,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=HistoryAction.REASSIGNED,
            old=request.status,
            reason=(reason or "").strip()[:2000],
        )
        _assigned_event(request, previous=previous, kind="reassign")
    return request
