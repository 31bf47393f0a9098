"""Read queries of `auth`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from ukbot.auth.models import Session


def sessions_open_for(*, account_id: int) -> QuerySet[Session]:
    """The account's sessions that can still be used, most recently used first."""
    return Session.objects.filter(
        account_id=account_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-last_used_at")


def session_is_open(*, account_id: int, session_id: str) -> bool:
    """Whether the session exists, belongs to the account, and is neither revoked nor expired."""
    return sessions_open_for(account_id=account_id).filter(pk=session_id).exists()
