"""What every write of `requests` shares: the locked row, the version check, the history row, the party rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, ErrorDetail, InvalidTransitionError, NotFoundError, PermissionDeniedError
from ukbot.requests import access
from ukbot.requests.models import Request, StatusChange
from ukbot.requests.statuses import Actor, Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_DESCRIPTION = 4000  # characters of a description, a comment or an answer


def locked(number: str) -> Request:
    """Return the request row, locked until the transaction ends. Call inside ``transaction.atomic``.

    :raises NotFoundError: no such request.
    """
    request = Request.objects.select_for_update().filter(pk=number).first()
    if request is None:
        raise NotFoundError(_("No such request."))
    return request


def check_version(request: Request, expected_version: int | None) -> None:
    """Refuse a write based on a stale read.

    :raises ConflictError: ``expected_version`` is given and is not the request's version.
    """
    if expected_version is not None and expected_version != request.version:
        raise ConflictError(_("The request was changed meanwhile. Reload it and try again."))


def check_party(request: Request, *, actor_kind: str, actor_id: int | None) -> None:
    """Refuse an applicant acting on somebody else's request, or an executor on a request not assigned to them.

    :raises PermissionDeniedError: the actor is not a party to the request (:func:`access.may_act`).
    """
    if access.may_act(request, actor_kind=actor_kind, account_id=actor_id):
        return
    if actor_kind == Actor.APPLICANT:
        raise PermissionDeniedError(_("Only the applicant may do this."))
    raise PermissionDeniedError(_("Only the assigned executor may do this."))


def no_such_move(
    current: str, allowed: Iterable[str], *, message: StrOrPromise | None = None
) -> InvalidTransitionError:
    """Return the refusal of a move (of a request or a material line) that says what happened (``message``; by
    default that the status does not allow it) and names the moves allowed from ``current`` in its details."""
    return InvalidTransitionError(
        message=message,
        details=[ErrorDetail(field="status", message=f"{current} → {target}") for target in allowed]
        or [ErrorDetail(field="status", message=str(_("No move is allowed from here.")))],
    )


def what_happened(request: Request, *, actor_kind: str, actor_id: int | None) -> StrOrPromise:
    """Why a move the person expected to make is no longer possible, as they should read it: the request was
    closed, cancelled, finished, or taken by another executor (an old button, a second tap, a stale page)."""
    number = request.number
    closed = request.status in (Status.ACCEPTED, Status.CANCELLED)
    if actor_kind == Actor.EXECUTOR and request.executor_id not in (None, actor_id) and not closed:
        return format_lazy(_("Request {number} has already been taken by someone else."), number=number)
    said = {
        Status.ACCEPTED: _("Request {number} is already closed."),
        Status.CANCELLED: _("Request {number} was cancelled."),
        Status.COMPLETED: _("The work on request {number} is already done and waits for a check."),
        Status.CONFIRMED: _("The work on request {number} is already done; the resident is asked to accept it."),
    }.get(Status(request.status))
    if said is not None:
        return format_lazy(said, number=number)
    return format_lazy(
        _("Request {number} is now “{status}”, so this can no longer be done."),
        number=number,
        status=Status(request.status).label,
    )


def history_write(
    request: Request, *, actor_kind: str, actor_id: int | None, action: str, old: str, reason: str = ""
) -> None:
    """Write a row of the request's history: who did ``action``, from status ``old`` to the current one, why."""
    StatusChange.objects.create(
        request=request,
        actor_id=actor_id,
        actor_kind=actor_kind,
        action=action,
        from_status=old,
        to_status=request.status,
        reason=reason,
    )
