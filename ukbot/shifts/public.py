"""The only functions other apps may call synchronously in `shifts`: keyword-only, returning plain values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from ukbot.core.events import payloads_of
from ukbot.shifts.models import Shift, ShiftStatus


def on_shift(*, specialization: str) -> tuple[int, ...]:
    """Return the executors on shift now in ``specialization`` or as ``universal``, ascending."""
    ids = (
        Shift.objects.filter(status=ShiftStatus.ACTIVE, specialization__in=[specialization, "universal"])
        .values_list("executor_id", flat=True)
        .distinct()
    )
    return tuple(sorted(ids))


def is_on_shift(*, executor_id: int, specialization: str) -> bool:
    """Whether the executor is on shift now in ``specialization`` (a universal shift counts for every trade)."""
    return Shift.objects.filter(
        executor_id=executor_id, status=ShiftStatus.ACTIVE, specialization__in=[specialization, "universal"]
    ).exists()


def active_specializations(*, executor_id: int) -> tuple[str, ...]:
    """The specializations the executor is on shift in now (``universal`` stands for every trade), sorted."""
    trades = Shift.objects.filter(executor_id=executor_id, status=ShiftStatus.ACTIVE).values_list(
        "specialization", flat=True
    )
    return tuple(sorted(set(trades)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _point(latitude: Decimal | None, longitude: Decimal | None) -> dict[str, str] | None:
    return None if latitude is None else {"latitude": str(latitude), "longitude": str(longitude)}


def personal_data(*, account_id: int) -> dict[str, Any]:
    """Everything `shifts` holds about a person: their shifts with the places they started and ended them, and
    the live locations they shared (held in the event stream until its retention sweep). Empty for a person who
    never worked a shift."""
    shifts = [
        {
            "id": shift.pk,
            "specialization": shift.specialization,
            "status": shift.status,
            "planned_start": _iso(shift.planned_start),
            "planned_end": _iso(shift.planned_end),
            "started_at": _iso(shift.actual_start),
            "ended_at": _iso(shift.actual_end),
            "start_location": _point(shift.start_latitude, shift.start_longitude),
            "end_location": _point(shift.end_latitude, shift.end_longitude),
            "last_location": _point(shift.last_latitude, shift.last_longitude),
        }
        for shift in Shift.objects.filter(executor_id=account_id).order_by("pk")
    ]
    locations = [
        {"shift_id": item["shift_id"], "latitude": item["latitude"], "longitude": item["longitude"], "at": item["at"]}
        for item in payloads_of(types=["executor.location_updated"], match={"executor_id": account_id})
        if item.get("latitude")
    ]
    if not shifts and not locations:
        return {}
    return {"shifts": shifts, "locations": locations}


@dataclass(frozen=True)
class ShiftSlot:
    """A shift that could take work now or soon, as dispatch weighs it.

    ``active`` is True for a shift in progress (``start`` is when it began) and False for a planned one (``start``
    is when it is planned to begin). ``end`` is its planned end (None for a shift started on the spot). Points are
    ``(latitude, longitude)``: where it was started, and the last live location shared on it (with its time).
    """

    shift_id: int
    executor_id: int
    specialization: str
    active: bool
    start: datetime | None
    end: datetime | None
    start_point: tuple[float, float] | None
    live_point: tuple[float, float] | None
    live_at: datetime | None


def _pair(latitude: Decimal | None, longitude: Decimal | None) -> tuple[float, float] | None:
    return None if latitude is None or longitude is None else (float(latitude), float(longitude))


def dispatch_shifts(
    *, specialization: str, starting_before: datetime | None, executor_ids: Iterable[int] | None = None
) -> tuple[ShiftSlot, ...]:
    """Return the shifts in progress in ``specialization`` or ``universal``, and the planned ones in those trades
    starting before ``starting_before`` (none when it is None) and not yet over, by id; only those of
    ``executor_ids`` when given."""
    trades = [specialization, "universal"]
    planned = Q(status=ShiftStatus.PLANNED, planned_start__isnull=False)
    if starting_before is None:
        planned &= Q(pk__in=[])
    else:
        planned &= Q(planned_start__lte=starting_before)
    rows = Shift.objects.filter(Q(status=ShiftStatus.ACTIVE) | planned, specialization__in=trades).order_by("pk")
    if executor_ids is not None:
        rows = rows.filter(executor_id__in=set(executor_ids))
    return tuple(
        ShiftSlot(
            shift_id=row.pk,
            executor_id=row.executor_id,
            specialization=row.specialization,
            active=row.status == ShiftStatus.ACTIVE,
            start=row.actual_start if row.status == ShiftStatus.ACTIVE else row.planned_start,
            end=row.planned_end,
            start_point=_pair(row.start_latitude, row.start_longitude),
            live_point=_pair(row.last_latitude, row.last_longitude),
            live_at=row.last_located_at,
        )
        for row in rows
    )
