"""The notification queue for /metrics: depth by status (read at scrape time) and finished deliveries (counters).

Success ratio for the delivery SLO (DESIGN §9, > 99 %): ``delivered / (delivered + failures)``; a failure with
reason ``channel_off`` (the person switched the channel off) is the person's choice, not a delivery failure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError, transaction
from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

DELIVERED = Counter("ukbot_notifications_delivered", "Notifications handed to their channel, by channel.", ["channel"])
FAILURES = Counter(
    "ukbot_notification_failures",
    "Notifications given up, by channel and reason (blocked, rejected, gave_up, no_address, channel_off…).",
    ["channel", "reason"],
)


def count_delivered(channel: str) -> None:
    """Count one sent notification once the surrounding transaction commits."""
    transaction.on_commit(lambda: DELIVERED.labels(channel=channel).inc())


def count_failed(channel: str, reason: str) -> None:
    """Count one failed notification once the surrounding transaction commits."""
    transaction.on_commit(lambda: FAILURES.labels(channel=channel, reason=reason or "unknown").inc())


class NotificationQueueCollector:
    """Rows ``queued`` and ``sending``, by status: one grouped count over the two partial indexes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from ukbot.notifications.models import Notification

        waiting = (Notification.Status.QUEUED, Notification.Status.SENDING)
        gauge = GaugeMetricFamily(
            "ukbot_notifications_queue", "Notifications waiting or being sent, by status.", labels=["status"]
        )
        try:
            rows = dict(Notification.objects.filter(status__in=waiting).values_list("status").annotate(Count("id")))
        except DatabaseError:
            logger.warning("metrics: could not count the notification queue", exc_info=True)
            return
        for status in waiting:
            gauge.add_metric([status.value], rows.get(status.value, 0))
        yield gauge
