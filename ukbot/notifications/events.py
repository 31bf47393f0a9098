"""Events published by `notifications` (its public contract), with their payloads.

The subject is the recipient's account id, so each person's notification events are numbered in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("notifications")


@dataclass(frozen=True)
class NotificationSent:
    """The channel took the message (for Telegram and e-mail that is also a delivery confirmation)."""

    notification_id: int
    account_id: int
    channel: str
    event_type: str
    subject: str
    attempts: int
    provider_message_id: str
    bulk_job_id: int | None


@dataclass(frozen=True)
class NotificationFailed:
    """The message will not be sent.

    ``reason``: ``blocked``, ``rejected``, ``gave_up``, ``no_address``, ``channel_unavailable``, ``channel_off``,
    ``account_inactive`` or ``outcome_unknown`` (a worker died during the call).
    """

    notification_id: int
    account_id: int
    channel: str
    event_type: str
    subject: str
    attempts: int
    reason: str
    error: str
    bulk_job_id: int | None


@dataclass(frozen=True)
class NotificationDeliveryConfirmed:
    """The provider reported the message delivered: Telegram returned its message id, or SMTP accepted it."""

    notification_id: int
    account_id: int
    channel: str
    provider_message_id: str
    bulk_job_id: int | None


# Event types come after their payloads: define() checks each class.
NOTIFICATION_SENT = catalogue.define("notification.sent", payload=NotificationSent)
NOTIFICATION_FAILED = catalogue.define("notification.failed", payload=NotificationFailed)
NOTIFICATION_DELIVERY_CONFIRMED = catalogue.define(
    "notification.delivery_confirmed", payload=NotificationDeliveryConfirmed
)
