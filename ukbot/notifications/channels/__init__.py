"""Channels: one interface for Telegram, e-mail, SMS and push (docs/decisions/0011).

A channel turns a queued notification and an address into a :class:`Result`. It never touches the database:
the delivery loop records the attempt, applies limits and retries, and publishes the events.
"""

from __future__ import annotations

from ukbot.notifications.channels.base import Channel, Result

__all__ = ["Channel", "Result", "get"]


def get(name: str) -> Channel:
    """The channel named ``name`` (``telegram``, ``email``, ``sms``, ``push``).

    :raises LookupError: for any other name.
    """
    from ukbot.notifications.channels.email import EmailChannel
    from ukbot.notifications.channels.http_provider import PushChannel, SmsChannel
    from ukbot.notifications.channels.telegram import TelegramChannel

    channels: dict[str, type[Channel]] = {
        "telegram": TelegramChannel,
        "email": EmailChannel,
        "sms": SmsChannel,
        "push": PushChannel,
    }
    try:
        return channels[name]()
    except KeyError:
        raise LookupError(f"no channel named {name!r}") from None
