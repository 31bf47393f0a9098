"""The only functions other apps may call synchronously in `auth`: keyword-only, returning frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ukbot.auth import mfa
from ukbot.auth.models import Account, LoginAttempt, Session
from ukbot.auth.sessions import sessions_revoke_all
from ukbot.core.errors import ConflictError


@dataclass(frozen=True)
class AccountInfo:
    id: int
    username: str
    telegram_id: int | None
    is_active: bool


def _info(account: Account) -> AccountInfo:
    return AccountInfo(
        id=account.pk, username=account.username, telegram_id=account.telegram_id, is_active=account.is_active
    )


@transaction.atomic
def account_create(
    *, username: str, password: str | None = None, first_name: str = "", last_name: str = "", phone: str = ""
) -> AccountInfo:
    """Create an account; without a password it cannot sign in by password (Telegram or a reset only).

    :raises ConflictError: if the username is taken.
    """
    if Account.objects.filter(username__iexact=username).exists():
        raise ConflictError(details={"username": _("This username is taken.")})
    account = Account(username=username, first_name=first_name, last_name=last_name, phone=phone)
    if password:
        account.set_password(password)
    else:
        account.set_unusable_password()
    account.save()
    return _info(account)


def account_get(*, username: str) -> AccountInfo | None:
    """Return the account with this username (case-insensitive), or None."""
    account = Account.objects.filter(username__iexact=username).first()
    return _info(account) if account else None


def account_by_telegram(*, telegram_id: int) -> AccountInfo | None:
    """Return the account linked to this Telegram user id, or None."""
    account = Account.objects.filter(telegram_id=telegram_id).only("id", "username", "telegram_id", "is_active").first()
    return _info(account) if account else None


@dataclass(frozen=True)
class Contact:
    """Where a person can be reached: empty strings (and no Telegram id) where they gave nothing."""

    account_id: int
    telegram_id: int | None
    email: str
    phone: str
    is_active: bool


def contact_of(*, account_id: int) -> Contact:
    """Return the person's Telegram chat id, e-mail and phone; an unknown account has none and is not active."""
    account = Account.objects.filter(pk=account_id).only("telegram_id", "email", "phone", "is_active").first()
    if account is None:
        return Contact(account_id=account_id, telegram_id=None, email="", phone="", is_active=False)
    return Contact(
        account_id=account_id,
        telegram_id=account.telegram_id,
        email=account.email,
        phone=account.phone,
        is_active=account.is_active,
    )


def personal_data(*, account_id: int) -> dict:
    """Everything `auth` holds about a person: the account, whether two-step sign-in is on, every sign-in session
    (device, IP, method, times, why it ended) and every sign-in attempt (theirs, and the failed ones under their
    username). Empty for an unknown account."""
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return {}

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    attempts = LoginAttempt.objects.filter(
        Q(account_id=account_id) | Q(account_id__isnull=True, username__iexact=account.username)
    )
    return {
        "account": {
            "username": account.username,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "email": account.email,
            "phone": account.phone,
            "telegram_id": account.telegram_id,
            "date_joined": account.date_joined.isoformat(),
            "last_login": iso(account.last_login),
            "two_step_sign_in": mfa.mfa_required(account_id=account_id),
        },
        "sessions": [
            {
                "id": str(s.id),
                "device": s.device,
                "ip": s.ip,
                "method": s.method,
                "role": s.role,
                "created_at": s.created_at.isoformat(),
                "last_used_at": iso(s.last_used_at),
                "expires_at": iso(s.expires_at),
                "revoked_at": iso(s.revoked_at),
                "revoke_reason": s.revoke_reason,
            }
            for s in Session.objects.filter(account_id=account_id).order_by("created_at")
        ],
        "login_attempts": [
            {
                "username": a.username,
                "ip": a.ip,
                "method": a.method,
                "success": a.success,
                "reason": a.reason,
                "at": a.created_at.isoformat(),
            }
            for a in attempts.order_by("created_at", "pk")
        ],
    }


def step_up_needed(*, account_id: int, channel: str) -> bool:
    """Whether the person must confirm their second factor in ``channel`` (``bot``) before a staff action."""
    from ukbot.auth import step_up

    return step_up.step_up_needed(account_id=account_id, channel=channel)


def step_up_confirm(*, account_id: int, channel: str, code: str) -> None:
    """Confirm the second factor in ``channel`` with a code, for ``MFA_STEP_UP_HOURS``.

    :raises AppError: TOO_MANY_ATTEMPTS, MFA_INVALID_CODE.
    """
    from ukbot.auth import step_up

    step_up.step_up_confirm(account_id=account_id, channel=channel, code=code)


def sessions_end(*, account_id: int, reason: str, role: str | None = None) -> int:
    """End the person's open sessions at once (all of them, or only those carrying ``role``); return how many.

    Their access tokens are refused from the next request on and their refresh tokens are dead; each ended session
    publishes ``auth.logout``. Call it inside the transaction of the change that calls for it (a block, a withdrawn
    role, a forgotten person), so that both stand or fall together. An unknown account has nothing to end.
    """
    return sessions_revoke_all(account_id=account_id, reason=reason, role=role)
