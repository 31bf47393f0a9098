"""The notification queue in /metrics: depth by status at scrape time, deliveries and failures as counters."""

from __future__ import annotations

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from tests import factories
from ukbot.core.tests.test_api_health import _samples
from ukbot.notifications.models import Notification
from ukbot.notifications.services import delivery
from ukbot.notifications.tests.conftest import resident

pytestmark = pytest.mark.django_db


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_queue_depth_is_counted_by_status(client):
    # given three queued rows, one of them being sent and one sent, and a failed row: only two are the queue
    people = [resident() for _ in range(3)]
    for account_id in people:
        delivery.enqueue(account_id=account_id, channel="telegram", text="hi", event_type="x.y")
    first, second, _third = Notification.objects.filter(account_id__in=people).order_by("id")
    Notification.objects.filter(pk=first.pk).update(status="sending", lease_until=timezone.now())
    Notification.objects.filter(pk=second.pk).update(status="sent")
    delivery.enqueue(account_id=resident(), channel="telegram", text="later", event_type="x.y")
    Notification.objects.filter(text="later").update(status="failed")

    samples = _samples(client.get("/metrics"))

    assert samples[("ukbot_notifications_queue", (("status", "queued"),))] == 1
    assert samples[("ukbot_notifications_queue", (("status", "sending"),))] == 1
    assert ("ukbot_notifications_queue", (("status", "sent"),)) not in samples


def test_deliveries_and_failures_are_counted_by_channel_and_reason(
    fake_telegram, client, django_capture_on_commit_callbacks
):
    delivered_before = _value("ukbot_notifications_delivered_total", channel="telegram")
    blocked_before = _value("ukbot_notification_failures_total", channel="telegram", reason="blocked")
    no_address_before = _value("ukbot_notification_failures_total", channel="telegram", reason="no_address")
    # given one message that goes through, one to a person who blocked the bot and one to a person without a chat
    delivery.enqueue(account_id=resident(), channel="telegram", text="ok", event_type="x.y")
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_due()
    fake_telegram.fail_next(status=403)
    delivery.enqueue(account_id=resident(), channel="telegram", text="blocked", event_type="x.y")
    delivery.enqueue(account_id=factories.person(profile=False), channel="telegram", text="nowhere", event_type="x.y")
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_due()

    samples = _samples(client.get("/metrics"))

    assert samples[("ukbot_notifications_delivered_total", (("channel", "telegram"),))] == delivered_before + 1
    failures = "ukbot_notification_failures_total"
    assert samples[(failures, (("channel", "telegram"), ("reason", "blocked")))] == blocked_before + 1
    assert samples[(failures, (("channel", "telegram"), ("reason", "no_address")))] == no_address_before + 1


def test_a_rolled_back_delivery_is_not_counted(fake_telegram, django_capture_on_commit_callbacks):
    # given a sent message whose transaction never commits (the callbacks are dropped, not run)
    before = _value("ukbot_notifications_delivered_total", channel="telegram")
    delivery.enqueue(account_id=resident(), channel="telegram", text="ok", event_type="x.y")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivery.deliver_due()

    assert callbacks != []
    assert _value("ukbot_notifications_delivered_total", channel="telegram") == before
