"""Read queries of `auth`."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ukbot.auth.models import Account, Session
from ukbot.core.db.fast import from_row, select_list


def sessions_open_for(*, account_id: int) -> QuerySet[Session]:
    """The account's sessions that can still be used, most recently used first."""
    return Session.objects.filter(
        account_id=account_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-last_used_at")


def account_and_session(
    *, account_id: Any, session_id: Any, role: Any = None
) -> tuple[Account | None, bool]:  # token claims
    """The account (None if there is none) and whether ``session_id`` is one of its open sessions (as
    :func:`sessions_open_for` judges: neither revoked nor expired) that still carries ``role`` (the token's role
    claim; an access token minted for another role before the session switched is not good any more), in one
    statement: every authenticated API call asks this first, and two ORM queries cost it several times what the
    database takes. A session id that is not a UUID is not open."""
    try:
        session = uuid.UUID(str(session_id)) if session_id else None
    except ValueError:
        session = None
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        return None, False
    lowest, highest = connection.ops.integer_field_range("BigIntegerField")
    if not lowest <= account_id <= highest:  # no such account (and no database error)
        return None, False
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {select_list(Account, alias='a')}, EXISTS (SELECT 1 FROM {quote(Session._meta.db_table)} s"
        " WHERE s.id = %s AND s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > %s AND s.role = %s)"
        f" FROM {quote(Account._meta.db_table)} a WHERE a.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session, timezone.now(), role if isinstance(role, str) else "", account_id])
        row = cursor.fetchone()
    if row is None:
        return None, False
    return from_row(Account, row), bool(row[-1])
