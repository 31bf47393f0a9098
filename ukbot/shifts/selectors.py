"""Read queries of `shifts`."""

from __future__ import annotations

from ukbot.shifts.models import Shift, ShiftStatus


def active_shift(*, executor_id: int) -> Shift | None:
    """The executor's shift in progress now, or None when they are off shift (there is at most one)."""
    return Shift.objects.filter(executor_id=executor_id, status=ShiftStatus.ACTIVE).first()
