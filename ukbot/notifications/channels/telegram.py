"""Telegram: ``sendMessage`` of the Bot API over HTTP, HTML text, inline buttons where the message invites an action.

Answers: 200 → sent (the returned message id is Telegram's confirmation of delivery); 429 → retry after the
``retry_after`` it names; 403 (bot blocked, user deactivated) → blocked; 400 → failed for good; 401/404 (a wrong
token or URL: our fault, not the message's), 5xx and network errors → retry with back-off.
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


def send_message_payload(notification: Notification, chat_id: str) -> dict:
    """The JSON body of ``sendMessage`` for a notification."""
    payload: dict = {
        "chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
        "text": notification.text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if notification.buttons:
        payload["reply_markup"] = {"inline_keyboard": notification.buttons}
    return payload


class TelegramChannel(Channel):
    name = "telegram"

    def unavailable_reason(self) -> str:
        return "" if settings.TELEGRAM_BOT_TOKEN else "TELEGRAM_BOT_TOKEN is not set"

    def address_of(self, contact: Contact) -> str:
        return str(contact.telegram_id) if contact.telegram_id else ""

    def send(self, notification: Notification, address: str) -> Result:
        url = f"{settings.TELEGRAM_API_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage"
        try:
            response = _client().post(url, json=send_message_payload(notification, address))
        except httpx.TimeoutException as exc:
            return Result.retry(error=f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return Result.retry(error=f"network error: {type(exc).__name__}: {exc}")
        return interpret(response)


def interpret(response: httpx.Response) -> Result:
    """Turn a Bot API answer into a result (shared with other Bot API callers)."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    description = str(body.get("description", "")) or response.reason_phrase
    if status == 200 and body.get("ok"):
        message_id = str((body.get("result") or {}).get("message_id", ""))
        return Result.ok(message_id=message_id, status_code=status, confirmed=bool(message_id))
    if status == 429:
        retry_after = (body.get("parameters") or {}).get("retry_after") or response.headers.get("Retry-After") or 1
        return Result.retry(error=description, retry_after=float(retry_after), status_code=status)
    if status == 403:
        return Result.blocked(error=description, status_code=status)
    if status == 400:
        return Result.failed(error=description, status_code=status)
    return Result.retry(error=f"HTTP {status}: {description}", status_code=status)
