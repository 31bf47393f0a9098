"""Retention of the notification history: old finished rows go, in batches; what is still to be sent stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ukbot.notifications import services, tasks
from ukbot.notifications.models import DeliveryAttempt, Notification

pytestmark = pytest.mark.django_db

OLD = timedelta(days=91)


def _row(status: str, *, age: timedelta, finished: bool = True, attempts: int = 0) -> Notification:
    at = timezone.now() - age
    row = Notification.objects.create(
        account_id=1,
        channel="telegram",
        event_type="manual",
        text="…",
        status=status,
        created_at=at,
        finished_at=at if finished else None,
    )
    for number in range(1, attempts + 1):
        DeliveryAttempt.objects.create(notification=row, number=number, channel="telegram", outcome="sent")
    return row


def test_old_finished_notifications_go_with_their_attempts_and_the_rest_stay():
    # given old sent, failed and cancelled rows (one without a finish time), and rows still needed or recent
    sent = _row("sent", age=OLD, attempts=2)
    failed = _row("failed", age=OLD, attempts=1)
    cancelled = _row("cancelled", age=OLD, finished=False)
    queued = _row("queued", age=OLD * 3, finished=False)  # a retry far behind is still to be sent
    sending = _row("sending", age=OLD * 3, finished=False)
    recent = _row("sent", age=timedelta(days=89), attempts=1)

    # when the purge runs with a retention of 90 days
    purged = services.notifications_purge(older_than=timedelta(days=90), batch=2)

    # then the three old finished rows and their attempts went (in two batches), nothing else
    assert purged == 3
    assert set(Notification.objects.values_list("pk", flat=True)) == {queued.pk, sending.pk, recent.pk}
    assert not DeliveryAttempt.objects.filter(notification_id__in=[sent.pk, failed.pk, cancelled.pk]).exists()
    assert DeliveryAttempt.objects.filter(notification_id=recent.pk).count() == 1
    assert services.notifications_purge(older_than=timedelta(days=90)) == 0


def test_the_beat_task_reads_the_retention_setting(settings):
    settings.NOTIFICATIONS_RETENTION_DAYS = 10
    settings.RETENTION_BATCH = 1
    gone = [_row("sent", age=timedelta(days=11)), _row("failed", age=timedelta(days=11))]
    kept = _row("sent", age=timedelta(days=9))

    assert tasks.purge() == 2

    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Notification.objects.filter(pk__in=[row.pk for row in gone]).exists()


def test_a_batch_below_one_is_refused():
    with pytest.raises(ValueError, match="batch"):
        services.notifications_purge(older_than=timedelta(days=1), batch=0)
