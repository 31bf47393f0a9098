"""What every write of `requests` shares: the locked row, the version check, the history row, the party rule."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, ErrorDetail, InvalidTransitionError, NotFoundError, PermissionDeniedError
from ukbot.requests import access
from ukbot.requests.models import Request, StatusChange
from ukbot.requests.statuses import Actor

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


def no_such_move(current: str, allowed: Iterable[str]) -> InvalidTransitionError:
    """Return the refusal of a move (of a request or a material line) that names the moves allowed from
    ``current``."""
    return InvalidTransitionError(
        details=[ErrorDetail(field="status", message=f"{current} → {target}") for target in allowed]
        or [ErrorDetail(field="status", message=str(_("No move is allowed from here.")))]
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
