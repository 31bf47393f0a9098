"""The queue's door: ``enqueue`` writes a row in the caller's transaction and wakes delivery after the commit; the
channel switches that ``enqueue`` and the loop obey."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ukbot.notifications.models import Channel, ChannelSetting, Notification

logger = logging.getLogger(__name__)

KICK_KEY = "notifications:deliver-kicked"
KICK_TTL_SECONDS = 30


def _buttons(buttons: Iterable[Iterable[dict]]) -> list[list[dict]]:
    rows = []
    for row in buttons:
        cells = []
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ValueError(f"a button needs a text: {button!r}")
            actions = [key for key in ("callback_data", "url") if button.get(key)]
            if len(actions) != 1:
                raise ValueError(f"a button needs exactly one of callback_data and url: {button!r}")
            if "callback_data" in actions and len(button["callback_data"].encode()) > 64:
                raise ValueError(f"callback_data is limited to 64 bytes by Telegram: {button!r}")
            cells.append({"text": str(button["text"]), actions[0]: str(button[actions[0]])})
        if cells:
            rows.append(cells)
    return rows


def enqueue(
    *,
    account_id: int,
    channel: str,
    text: str,
    title: str = "",
    buttons: Sequence[Sequence[dict]] = (),
    event_type: str,
    subject: str = "",
    language: str = "ru",
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    urgent: bool = False,
    bulk_job_id: int | None = None,
) -> Notification | None:
    """Queue a message in the caller's transaction and deliver it after the commit.

    The address is resolved when the message is sent. Return None, writing nothing, when the person has the
    channel off or the dedupe key was used before.

    :raises ValueError: for an unknown channel or a malformed button.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    rows = _buttons(buttons)
    if ChannelSetting.objects.filter(account_id=account_id, channel=channel, enabled=False).exists():
        return None
    now = timezone.now()
    notification = Notification(
        account_id=account_id,
        channel=channel,
        event_type=event_type,
        subject=str(subject)[:64],
        title=title[:200],
        text=text,
        buttons=rows,
        language=language,
        urgent=urgent,
        dedupe_key=dedupe_key,
        not_before=not_before,
        bulk_job_id=bulk_job_id,
        next_attempt_at=max(now, not_before) if not_before else now,
        created_at=now,
    )
    try:
        with transaction.atomic():  # a savepoint: a used dedupe key must not spoil the caller's transaction
            notification.save(force_insert=True)
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if not any(func is kick_delivery for _, func, _ in connection.run_on_commit):
        transaction.on_commit(kick_delivery)
    return notification


def kick_delivery() -> None:
    """Wake a delivery task after a commit, from the kick thread (the caller does not wait on Redis or the
    broker); one kick stands for all commits until the task has drained."""
    from ukbot.core.kicks import kick_soon

    kick_soon("notifications.deliver", _kick_delivery_now)


def _kick_delivery_now() -> None:
    from django.core.cache import cache

    from ukbot.notifications.tasks import deliver

    try:
        if cache.add(KICK_KEY, "1", timeout=KICK_TTL_SECONDS):
            deliver.delay()
    except Exception:
        # The row is committed and the beat sweep will send it; a broker hiccup must not fail the caller.
        logger.warning("could not kick notification delivery; the periodic sweep will send", exc_info=True)


# --- channel switches -----------------------------------------------------------------------------------------
def channel_disable(*, account_id: int, channel: str, reason: str) -> None:
    """Turn a channel off for a person (``bot_blocked``, ``user``, ``admin``); queued rows for it stay queued."""
    ChannelSetting.objects.update_or_create(
        account_id=account_id, channel=channel, defaults={"enabled": False, "disabled_reason": reason}
    )


def channel_enable(*, account_id: int, channel: str) -> None:
    """Turn a channel back on for a person (e.g. they unblocked the bot and wrote to it again)."""
    ChannelSetting.objects.update_or_create(
        account_id=account_id, channel=channel, defaults={"enabled": True, "disabled_reason": ""}
    )
