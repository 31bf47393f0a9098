"""The log of sign-in attempts: one row per attempt, by any method (API password, MFA code, Telegram, admin)."""

from __future__ import annotations

from ukbot.auth.models import LoginAttempt


def login_attempt_record(
    *, username: str, ip: str | None, reason: str, method: str, account_id: int | None = None
) -> LoginAttempt:
    """Record one attempt; ``reason`` is a :class:`LoginAttempt.Reason` (``ok`` means it succeeded)."""
    return LoginAttempt.objects.create(
        account_id=account_id,
        username=username[:150],
        ip=ip,
        method=method,
        success=reason == LoginAttempt.Reason.OK,
        reason=reason,
    )
