"""The only functions other apps may call synchronously in `shifts`: keyword-only, returning plain values."""

from __future__ import annotations

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
