"""The only functions other apps may call synchronously in `notifications`: keyword-only, returning plain values."""

from __future__ import annotations

from datetime import datetime

from ukbot.notifications import services
from ukbot.notifications.models import Channel, ChannelSetting
from ukbot.notifications.services import delivery, privacy
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


def telegram_resume(*, account_id: int) -> bool:
    """Turn Telegram back on for a person who had blocked the bot and now writes to it again; return whether it was
    off for that reason. A channel the person or staff turned off stays off."""
    blocked = ChannelSetting.objects.filter(
        account_id=account_id,
        channel=Channel.TELEGRAM,
        enabled=False,
        disabled_reason=ChannelSetting.Reason.BOT_BLOCKED,
    ).exists()
    if blocked:
        delivery.channel_enable(account_id=account_id, channel=Channel.TELEGRAM)
    return blocked


def personal_data(*, account_id: int) -> dict:
    """Everything `notifications` holds about a person: messages to them with their texts and addresses, their
    preferences and channel switches; empty for a person with none."""
    return privacy.personal_data(account_id=account_id)
