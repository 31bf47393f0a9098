"""Read queries of `shifts`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ukbot.shifts.models import Shift, ShiftStatus


def active_shift(*, executor_id: int) -> Shift | None:
    """The executor's shift in progress now, or None when they are off shift (there is at most one)."""
    return Shift.objects.filter(executor_id=executor_id, status=ShiftStatus.ACTIVE).first()


@dataclass(frozen=True)
class CurrentShift:
    """The shift an executor is on now: which one, in which trade, since when."""

    shift_id: int
    specialization: str
    started_at: datetime | None


def shift_current(*, executor_id: int) -> CurrentShift | None:
    """Return the executor's shift in progress now, or None when they are off shift."""
    shift = active_shift(executor_id=executor_id)
    if shift is None:
        return None
    return CurrentShift(shift_id=shift.pk, specialization=shift.specialization, started_at=shift.actual_start)
