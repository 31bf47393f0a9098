"""E-mail through Django's configured backend (SMTP in production); an accepted message counts as delivered.

SMTP answers: 4xx and dropped connections → retry with back-off; 5xx and refused recipients → failed for good.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from ukbot.notifications.channels.base import Channel, Result

if TYPE_CHECKING:
    from ukbot.auth.public import Contact
    from ukbot.notifications.models import Notification


def _body(notification: Notification) -> str:
    links = [button["url"] for row in notification.buttons for button in row if button.get("url")]
    return "\n\n".join([notification.text, *links])


class EmailChannel(Channel):
    name = "email"

    def address_of(self, contact: Contact) -> str:
        return contact.email

    def send(self, notification: Notification, address: str) -> Result:
        message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost")
        message = EmailMessage(
            subject=notification.title or notification.event_type,
            body=_body(notification),
            to=[address],
            headers={"Message-ID": message_id},
            connection=get_connection(timeout=settings.NOTIFICATIONS_HTTP_TIMEOUT_SECONDS),
        )
        try:
            sent = message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            return Result.failed(error=f"recipient refused: {exc.recipients}")
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                return Result.retry(error=error, status_code=exc.smtp_code)
            return Result.failed(error=error, status_code=exc.smtp_code)
        except (smtplib.SMTPException, OSError) as exc:
            return Result.retry(error=f"{type(exc).__name__}: {exc}")
        if not sent:
            return Result.retry(error="the e-mail backend sent nothing")
        return Result.ok(message_id=message_id, confirmed=True)
