"""The only functions other apps may call synchronously in `notifications`: keyword-only, returning plain values."""

from __future__ import annotations

from datetime import datetime

from ukbot.notifications import services
from ukbot.users import public as users_public


def notify_shift_starting(*, shift_id: int, executor_id: int, specialization: str, starts_at: datetime) -> int:
    """Remind the executor that their shift starts soon (for the shifts reminder); return how many were queued.

    Once per shift and person: calling it again for the same shift queues nothing.
    """
    queued = services.notify(
        account_id=executor_id,
        kind="shift.starting",
        variables=lambda language: {
            "shift_id": shift_id,
            "specialization": users_public.label(field="specialization", value=specialization, language=language),
            "start": services.local_time(starts_at, account_id=executor_id),
        },
        dedupe=f"shift.starting:{shift_id}",
        subject=str(shift_id),
    )
    return len(queued)
