"""Retention of the notification history (docs/decisions/0030-retention-and-audit.md)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ukbot.core.db.purge import delete_in_batches
from ukbot.notifications.models import Notification

# Finished rows only: a queued or sending notification is still to be delivered, whatever its age.
FINISHED = (Notification.Status.SENT, Notification.Status.FAILED, Notification.Status.CANCELLED)


def notifications_purge(*, older_than: timedelta, batch: int = 1000) -> int:
    """Delete sent, failed and cancelled notifications (with their delivery attempts) that finished more than
    ``older_than`` ago; return how many notifications went. Queued and sending ones stay."""
    cutoff = timezone.now() - older_than
    finished_long_ago = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    return delete_in_batches(Notification.objects.filter(finished_long_ago, status__in=FINISHED), batch=batch)
