"""Forgetting a person in `notifications` (docs/decisions/0024): the rows of the queue stay (who, which kind,
channel, status, attempts, times: delivery statistics), but no text that was about the person, and no address.

A message names a person in three ways: it went to them (its text, its address), it is about a request they
filed (the description and address reach executors and managers), or it quotes them as someone else's executor
or a comment's author. The caller says which requests those are (``requests.public.involvement``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ukbot.notifications import defaults
from ukbot.notifications.models import ChannelSetting, DeliveryAttempt, Notification, Preference

# Stands in for the text of a message about a forgotten person (the text is required): nothing to translate.
FORGOTTEN_TEXT = "—"

# Kinds whose texts name the request's executor, or a comment's author.
_NAMING_EXECUTOR = tuple(kind for kind, names in defaults.VARIABLES.items() if "executor" in names)
_NAMING_AUTHOR = tuple(kind for kind, names in defaults.VARIABLES.items() if "author" in names)


@transaction.atomic
def person_forget(
    *,
    account_id: int,
    filed: Iterable[str] = (),
    worked: Iterable[str] = (),
    commented: Iterable[str] = (),
) -> dict[str, int]:
    """Blank the texts of messages to or about a forgotten person and the addresses they were sent to; cancel
    such messages not yet sent; drop the person's preferences and channel switches. ``filed``, ``worked`` and
    ``commented`` are numbers of requests they filed, worked on and commented on. Safe twice; returns counts.
    """
    about = (
        Q(account_id=account_id)
        | Q(event_type__startswith="user.", subject=str(account_id))
        | Q(subject__in=list(filed))
        | Q(subject__in=list(worked), event_type__in=_NAMING_EXECUTOR)
        | Q(subject__in=list(commented), event_type__in=_NAMING_AUTHOR)
    )
    rows = Notification.objects.filter(about)
    now = timezone.now()
    cancelled = rows.filter(status=Notification.Status.QUEUED).update(
        status=Notification.Status.CANCELLED, finished_at=now
    )
    texts = rows.exclude(text=FORGOTTEN_TEXT, title="", last_error="").update(
        text=FORGOTTEN_TEXT, title="", last_error=""
    )
    addresses = (
        DeliveryAttempt.objects.filter(notification__in=rows).exclude(address="", error="").update(address="", error="")
    )
    Preference.objects.filter(account_id=account_id).delete()
    ChannelSetting.objects.filter(account_id=account_id).delete()
    return {"cancelled": cancelled, "texts": texts, "addresses": addresses}


def personal_data(*, account_id: int) -> dict:
    """Everything `notifications` holds about a person: the messages sent to them (text, channel, the addresses
    they went to, status, times), their preferences and channel switches. Empty for a person with none."""
    attempts: dict[int, list[str]] = {}
    for notification_id, address in (
        DeliveryAttempt.objects.filter(notification__account_id=account_id)
        .exclude(address="")
        .order_by("notification_id", "number")
        .values_list("notification_id", "address")
    ):
        if address not in attempts.setdefault(notification_id, []):
            attempts[notification_id].append(address)
    messages = [
        {
            "id": n.pk,
            "channel": n.channel,
            "kind": n.event_type,
            "subject": n.subject,
            "title": n.title,
            "text": n.text,
            "status": n.status,
            "addresses": attempts.get(n.pk, []),
            "created_at": n.created_at.isoformat(),
            "sent_at": n.sent_at.isoformat() if n.sent_at else None,
        }
        for n in Notification.objects.filter(account_id=account_id).order_by("created_at", "pk")
    ]
    preference = Preference.objects.filter(account_id=account_id).first()
    channels = [
        {"channel": c.channel, "enabled": c.enabled, "reason": c.disabled_reason}
        for c in ChannelSetting.objects.filter(account_id=account_id).order_by("channel")
    ]
    if not messages and preference is None and not channels:
        return {}
    return {
        "messages": messages,
        "preferences": None
        if preference is None
        else {
            "time_zone": preference.time_zone,
            "quiet_from": preference.quiet_from.isoformat() if preference.quiet_from else None,
            "quiet_to": preference.quiet_to.isoformat() if preference.quiet_to else None,
            "follow_all": preference.follow_all,
            "progress_messages": preference.progress_messages,
        },
        "channels": channels,
    }
