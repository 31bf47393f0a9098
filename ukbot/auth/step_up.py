"""A second look at the second factor: staff with MFA who act through a channel that has no sign-in of its own (the
Telegram bot, where a Telegram account is the only credential) confirm a code there before staff actions, once per
``MFA_STEP_UP_HOURS``. Wrong codes are counted before they are checked, so parallel guesses cannot outrun the limit.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from ukbot.auth.mfa import mfa_check, mfa_required
from ukbot.core.errors import AppError

MAX_WRONG_CODES = 5  # within one period; then the channel waits for the period to end


def _period_seconds() -> int:
    return settings.MFA_STEP_UP_HOURS * 3600


def _confirmed_key(account_id: int, channel: str) -> str:
    return f"auth:step-up:{channel}:{account_id}"


def _wrong_key(account_id: int, channel: str) -> str:
    return f"auth:step-up-wrong:{channel}:{account_id}"


def step_up_needed(*, account_id: int, channel: str) -> bool:
    """Whether the person must confirm their second factor in ``channel`` before a staff action: they have one,
    and have not confirmed it there within the period."""
    return mfa_required(account_id=account_id) and not cache.get(_confirmed_key(account_id, channel))


def step_up_confirm(*, account_id: int, channel: str, code: str) -> None:
    """Confirm the second factor in ``channel`` with a TOTP or backup code (spent); it holds for the period.

    :raises AppError: TOO_MANY_ATTEMPTS after ``MAX_WRONG_CODES`` wrong codes in the period (with Retry-After);
        MFA_INVALID_CODE for a wrong, expired or reused code.
    """
    wrong, period = _wrong_key(account_id, channel), _period_seconds()
    cache.add(f"{wrong}:since", int(time.time()), timeout=period)
    cache.add(wrong, 0, timeout=period)
    tries = cache.incr(wrong)  # counted first: the check below cannot be raced past the limit
    if tries > MAX_WRONG_CODES:
        since = cache.get(f"{wrong}:since") or int(time.time())
        wait = max(int(since + period - time.time()), 1)
        raise AppError(
            "TOO_MANY_ATTEMPTS",
            _("Too many wrong codes. Try again in %(minutes)d minutes.") % {"minutes": max(wait // 60, 1)},
            details={"retry_after": str(wait)},
            headers={"Retry-After": str(wait)},
        )
    if not mfa_check(account_id=account_id, code=code):
        raise AppError("MFA_INVALID_CODE", _("The code is wrong, expired or already used."))
    cache.set(_confirmed_key(account_id, channel), 1, timeout=period)
    cache.delete_many([wrong, f"{wrong}:since"])
