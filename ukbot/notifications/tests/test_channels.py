"""E-mail through a local SMTP sink (aiosmtpd), SMS and push through a local HTTP provider."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from tests import factories
from ukbot.core.models import OutboxEvent
from ukbot.notifications.models import DeliveryAttempt, Notification
from ukbot.notifications.services import delivery

pytestmark = pytest.mark.django_db


class Sink(Message):
    """Keeps every accepted message; refuses recipients at ``refused.example``."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message) -> None:
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "desk@uk.example"
    yield sink
    controller.stop()


def _email(address: str, **kwargs) -> Notification:
    account_id = factories.person(profile=False, account_fields={"email": address})
    notification = delivery.enqueue(
        account_id=account_id,
        channel="email",
        title="Request 42 received",
        text="We received your request 42.",
        event_type="request.created",
        subject="42",
        **kwargs,
    )
    assert notification is not None
    return notification


def test_an_email_goes_through_smtp_and_counts_as_delivered(smtp):
    notification = _email("resident@example.com", buttons=[[{"text": "Open", "url": "https://uk.example/r/42"}]])
    assert delivery.deliver_due() == 1
    [message] = smtp.messages
    assert message["To"] == "resident@example.com"
    assert message["From"] == "desk@uk.example"
    assert message["Subject"] == "Request 42 received"
    assert (
        message.get_payload().replace("\r\n", "\n").strip() == "We received your request 42.\n\nhttps://uk.example/r/42"
    )
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert notification.provider_message_id == message["Message-ID"]
    confirmed = OutboxEvent.objects.get(type="notification.delivery_confirmed")
    assert confirmed.data["provider_message_id"] == message["Message-ID"]


def test_a_refused_recipient_fails_for_good(smtp):
    notification = _email("nobody@refused.example")
    delivery.deliver_due()
    notification.refresh_from_db()
    assert (notification.status, notification.failure_reason) == ("failed", "rejected")
    assert smtp.messages == []


def test_an_unreachable_smtp_server_is_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    notification = _email("resident@example.com")
    delivery.deliver_due()
    notification.refresh_from_db()
    assert notification.status == "queued"
    assert DeliveryAttempt.objects.get(notification=notification).outcome == "retry"


def _sms(account_fields: dict | None = None) -> Notification:
    account_id = factories.person(profile=False, account_fields=account_fields or {"phone": "+998901234567"})
    notification = delivery.enqueue(
        account_id=account_id, channel="sms", text="Request 42: the plumber comes at 10:00", event_type="x.y"
    )
    assert notification is not None
    return notification


def test_an_sms_is_posted_to_the_provider_with_the_bearer_token(settings, provider):
    settings.SMS_PROVIDER_URL = provider.url
    settings.SMS_PROVIDER_TOKEN = "sms-secret"
    provider.script = [(200, {"id": "sms-77", "status": "delivered"}, {})]
    notification = _sms()
    assert delivery.deliver_due() == 1
    [request] = provider.requests
    assert request["headers"]["Authorization"] == "Bearer sms-secret"
    assert request["headers"]["Idempotency-Key"] == f"ukbot-notification-{notification.pk}"
    assert request["body"]["to"] == "+998901234567"
    assert request["body"]["text"] == "Request 42: the plumber comes at 10:00"
    notification.refresh_from_db()
    assert (notification.status, notification.provider_message_id) == ("sent", "sms-77")
    assert OutboxEvent.objects.filter(type="notification.delivery_confirmed").count() == 1


def test_a_push_provider_503_is_retried_and_a_429_waits(settings, provider):
    settings.PUSH_PROVIDER_URL = provider.url
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 0
    provider.script = [(503, {"error": "busy"}, {}), (200, {"id": "push-1"}, {})]
    account_id = factories.person(profile=False)
    notification = delivery.enqueue(account_id=account_id, channel="push", title="T", text="B", event_type="x.y")
    delivery.deliver_due()
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert [r["body"]["to"] for r in provider.requests] == [str(account_id), str(account_id)]
    outcomes = DeliveryAttempt.objects.filter(notification=notification).order_by("number")
    assert [(a.outcome, a.status_code) for a in outcomes] == [("retry", 503), ("ok", 200)]
    # sent but not reported delivered: no confirmation
    assert not OutboxEvent.objects.filter(type="notification.delivery_confirmed").exists()

    provider.script = [(429, {"error": "slow down"}, {"Retry-After": "30"})]
    later = delivery.enqueue(account_id=account_id, channel="push", title="T", text="C", event_type="x.y")
    delivery.deliver_due()
    later.refresh_from_db()
    attempt = DeliveryAttempt.objects.get(notification=later)
    assert (later.status, attempt.retry_after) == ("queued", 30.0)
    assert (later.next_attempt_at - attempt.finished_at).total_seconds() >= 30


def test_sms_and_push_without_a_provider_fail_with_a_reason(settings):
    settings.SMS_PROVIDER_URL = None
    settings.PUSH_PROVIDER_URL = None
    sms = _sms()
    push = delivery.enqueue(account_id=factories.person(profile=False), channel="push", text="x", event_type="x.y")
    delivery.deliver_due()
    sms.refresh_from_db()
    push.refresh_from_db()
    assert (sms.status, sms.failure_reason, sms.last_error) == (
        "failed",
        "channel_unavailable",
        "SMS_PROVIDER_URL is not set",
    )
    assert (push.status, push.failure_reason) == ("failed", "channel_unavailable")
    assert not DeliveryAttempt.objects.exists()


def test_an_sms_to_a_person_without_a_phone_fails_as_no_address(settings, provider):
    settings.SMS_PROVIDER_URL = provider.url
    notification = _sms(account_fields={"phone": ""})
    delivery.deliver_due()
    notification.refresh_from_db()
    assert (notification.status, notification.failure_reason) == ("failed", "no_address")
    assert provider.requests == []
