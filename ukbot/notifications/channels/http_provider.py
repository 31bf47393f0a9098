"""SMS and push through an HTTP provider: POST JSON to a configured URL with a bearer token.

The body is ``{"notification_id", "to", "title", "text", "language", "event_type", "subject", "buttons"}``;
``to`` is the phone number (SMS) or the account id (push: the provider knows the person's devices). Each try
carries ``Idempotency-Key: ukbot-notification-<id>`` so a provider that honours it drops a repeated try.
2xx → sent (``{"id": …}`` is kept; ``"status": "delivered"`` counts as a delivery report); 429 → retry after
``Retry-After``; 5xx and network errors → retry with back-off; any other 4xx → failed for good.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx
from django.conf import settings

from ukbot.notifications.channels.base import Channel, Result

if TYPE_CHECKING:
    from ukbot.auth.public import Contact
    from ukbot.notifications.models import Notification

_local = threading.local()


def _client() -> httpx.Client:
    # One keep-alive client per thread (a Celery process has one), made after the worker forked; a new one
    # when the timeout setting changes (tests).
    timeout = settings.NOTIFICATIONS_HTTP_TIMEOUT_SECONDS
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "timeout", None) != timeout:
        client = _local.client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))
        _local.timeout = timeout
    return client


class HttpProviderChannel(Channel):
    url_setting: str
    token_setting: str

    def unavailable_reason(self) -> str:
        return "" if getattr(settings, self.url_setting) else f"{self.url_setting} is not set"

    def send(self, notification: Notification, address: str) -> Result:
        headers = {"Idempotency-Key": f"ukbot-notification-{notification.pk}"}
        token = getattr(settings, self.token_setting)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = {
            "notification_id": notification.pk,
            "to": address,
            "title": notification.title,
            "text": notification.text,
            "language": notification.language,
            "event_type": notification.event_type,
            "subject": notification.subject,
            "buttons": notification.buttons,
        }
        try:
            response = _client().post(getattr(settings, self.url_setting), json=body, headers=headers)
        except httpx.TimeoutException as exc:
            return Result.retry(error=f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return Result.retry(error=f"network error: {type(exc).__name__}: {exc}")
        status = response.status_code
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if 200 <= status < 300:
            return Result.ok(
                message_id=str(answer.get("id", "")), status_code=status, confirmed=answer.get("status") == "delivered"
            )
        error = f"HTTP {status}: {str(answer.get('error') or response.text)[:500]}"
        if status == 429:
            try:
                retry_after = float(response.headers.get("Retry-After", "1"))
            except ValueError:
                retry_after = 1.0
            return Result.retry(error=error, retry_after=retry_after, status_code=status)
        if status >= 500:
            return Result.retry(error=error, status_code=status)
        return Result.failed(error=error, status_code=status)


class SmsChannel(HttpProviderChannel):
    name = "sms"
    url_setting = "SMS_PROVIDER_URL"
    token_setting = "SMS_PROVIDER_TOKEN"  # noqa: S105 - the name of a setting, not a secret

    def address_of(self, contact: Contact) -> str:
        return contact.phone


class PushChannel(HttpProviderChannel):
    name = "push"
    url_setting = "PUSH_PROVIDER_URL"
    token_setting = "PUSH_PROVIDER_TOKEN"  # noqa: S105 - the name of a setting, not a secret

    def address_of(self, contact: Contact) -> str:
        return str(contact.account_id) if contact.is_active else ""
