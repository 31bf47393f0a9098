"""Materials the work needs: an executor's or a manager's list, and a manager's decision on each line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.requests.events import (
    REQUEST_MATERIALS_DECIDED,
    REQUEST_MATERIALS_REQUESTED,
    MaterialDecided,
    MaterialLine,
    MaterialsRequested,
)
from ukbot.requests.models import Material, MaterialStatus
from ukbot.requests.services.common import check_party, locked, no_such_move
from ukbot.requests.services.moves import move
from ukbot.requests.statuses import FINAL, Actor, Status

MAX_MATERIAL_LINES = 50
MATERIAL_STAGES = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MATERIALS})
MATERIAL_MOVES: dict[str, frozenset[str]] = {
    MaterialStatus.REQUESTED: frozenset({MaterialStatus.APPROVED, MaterialStatus.REJECTED}),
    MaterialStatus.APPROVED: frozenset({MaterialStatus.ISSUED, MaterialStatus.REJECTED}),
}


def _material_lines(items: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]:
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


def materials_request(
    *, number: str, actor_kind: str, actor_id: int, items: Sequence[Mapping[str, object]], wait: bool = False
) -> list[Material]:
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
        request = locked(number)
        check_party(request, actor_kind=actor_kind, actor_id=actor_id)
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
            move(request, to_status=Status.WAITING_MATERIALS, actor_kind=actor_kind, actor_id=actor_id)
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
        request = locked(material.request_id)
        if request.status in FINAL:
            raise ConflictError(_("The request is closed."))
        allowed = MATERIAL_MOVES.get(material.status, frozenset())
        if to_status not in allowed:
            raise no_such_move(material.status, sorted(allowed))
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
