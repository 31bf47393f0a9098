"""Ending sessions in bulk: the one write every revocation of a person's sessions goes through.

Apart from ``services`` because it reads nothing of other apps: ``public.sessions_end`` hands it to users' services
(a block, a withdrawn role, a forgotten person) without an import cycle through ``users.public``.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from ukbot.auth.events import AUTH_LOGOUT, LoggedOut
from ukbot.auth.models import Session
from ukbot.core.events import publish


def sessions_revoke_all(
    *, account_id: int, reason: str, keep_session_id: uuid.UUID | str | None = None, role: str | None = None
) -> int:
    """End the account's open sessions at once: all of them, all but ``keep_session_id``, or only those carrying
    ``role``; publish ``auth.logout`` for each; return how many.

    Their access tokens are refused from the next request on (the per-request check reads the session) and their
    refresh tokens get SESSION_REVOKED. Used for a password change or reset, a block, a withdrawn role, turning
    two-step sign-in on, and forgetting a person.
    """
    with transaction.atomic():
        sessions = Session.objects.select_for_update().filter(account_id=account_id, revoked_at__isnull=True)
        if keep_session_id is not None:
            sessions = sessions.exclude(pk=keep_session_id)
        if role is not None:
            sessions = sessions.filter(role=role)
        ended = list(sessions.order_by("created_at", "pk").values_list("pk", flat=True))
        Session.objects.filter(pk__in=ended).update(revoked_at=timezone.now(), revoke_reason=reason)
        for session_id in ended:
            publish(
                AUTH_LOGOUT,
                subject=account_id,
                data=LoggedOut(account_id=account_id, session_id=str(session_id), reason=reason),
            )
    return len(ended)
