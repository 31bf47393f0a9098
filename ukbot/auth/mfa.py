"""Second factor: TOTP devices with backup codes (django-otp), and the login challenge that asks for a code.

Enrolment is two steps: ``mfa_enable_start`` makes an unconfirmed TOTP device and shows its secret as an
otpauth URI and a QR code; ``mfa_enable_confirm`` activates it with a correct code and hands out ten backup codes,
once. Until then sign-in does not ask for a code. A TOTP code works once: django-otp keeps the time step of the
last code accepted (``last_t``) and accepts only later ones. A backup code is deleted when used.

Sign-in with a device is two requests: the password gives a signed challenge (``mfa_challenge_issue``, valid
``MFA_CHALLENGE_SECONDS``, usable once), and ``login_with_mfa`` trades it with a code for tokens. Wrong codes
count toward the lockout of the username, as wrong passwords do (docs/decisions/0007-mfa.md).
"""

from __future__ import annotations

import base64
import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ukbot.auth import lockout
from ukbot.auth.attempts import login_attempt_record
from ukbot.auth.events import AUTH_MFA_ENABLED, MfaEnabled
from ukbot.auth.models import Account, LoginAttempt, Session
from ukbot.auth.sessions import sessions_revoke_all
from ukbot.core.errors import AppError, ConflictError, PermissionDeniedError
from ukbot.core.events import publish

if TYPE_CHECKING:
    from ukbot.auth.services import IssuedTokens

BACKUP_CODES = 10
_DEVICE_NAME = "default"
_BACKUP_NAME = "backup"
_CHALLENGE_SALT = "ukbot.auth.mfa-challenge"
METHOD = "password+totp"


@dataclass(frozen=True)
class MfaEnrolment:
    otpauth_uri: str
    qr_png_base64: str
    device_id: int


@dataclass(frozen=True)
class MfaChallenge:
    """What a correct password gets when the account has a second factor: a code is still needed."""

    challenge: str
    expires_in: int
    mfa_required: bool = True


def _invalid_code() -> AppError:
    return AppError("MFA_INVALID_CODE", _("The code is wrong, expired or already used."))


def _qr_png_base64(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=5, border=4)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def mfa_required(*, account_id: int) -> bool:
    """Whether signing in to this account needs a code (it has a confirmed TOTP device)."""
    return TOTPDevice.objects.filter(user_id=account_id, confirmed=True).exists()


def _reauthenticated(*, account: Account, session_id: uuid.UUID | str | None, password: str | None) -> None:
    """Make sure the caller is the person, not just somebody holding their token: the password again, or a session
    opened within ``MFA_REAUTH_SECONDS``.

    :raises AppError: PASSWORD_INVALID for a wrong password (it counts toward the lockout); TOO_MANY_ATTEMPTS.
    :raises PermissionDeniedError: without a password when the session is older.
    """
    from ukbot.auth.services import password_confirm  # services imports this module for the password step

    if password:
        password_confirm(account=account, password=password)
        return
    fresh_since = timezone.now() - timedelta(seconds=settings.MFA_REAUTH_SECONDS)
    if session_id and Session.objects.filter(pk=session_id, account=account, created_at__gte=fresh_since).exists():
        return
    raise PermissionDeniedError(_("Confirm with your password: send it with this request."))


def mfa_enable_start(
    *, account_id: int, session_id: uuid.UUID | str | None = None, password: str | None = None
) -> MfaEnrolment:
    """Make a new, unconfirmed TOTP device (replacing an earlier unconfirmed one) and show its secret.

    Needs the password again unless the session ``session_id`` was opened within ``MFA_REAUTH_SECONDS``: a stolen
    access token must not be enough to tie the account to somebody else's authenticator.

    :raises ConflictError: if the account already has a confirmed device (disable it first).
    :raises PermissionDeniedError: without a password from an older session.
    :raises AppError: PASSWORD_INVALID for a wrong password; TOO_MANY_ATTEMPTS while locked out.
    """
    if mfa_required(account_id=account_id):
        raise ConflictError(_("Two-step sign-in is already on. Turn it off first to set up a new device."))
    _reauthenticated(account=Account.objects.get(pk=account_id), session_id=session_id, password=password)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        if mfa_required(account_id=account_id):
            raise ConflictError(_("Two-step sign-in is already on. Turn it off first to set up a new device."))
        TOTPDevice.objects.filter(user_id=account_id, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=account, name=_DEVICE_NAME, confirmed=False)
    uri = device.config_url
    return MfaEnrolment(otpauth_uri=uri, qr_png_base64=_qr_png_base64(uri), device_id=device.pk)


def _attempt(account: Account) -> lockout.Attempt:
    # A code checked for a signed-in account counts toward its username's lockout, as at sign-in.
    attempt = lockout.attempt_begin(username=account.username, ip=None)
    if attempt.wait:
        raise lockout.too_many_attempts(attempt.wait)
    return attempt


def mfa_enable_confirm(*, account_id: int, code: str, session_id: uuid.UUID | str | None = None) -> list[str]:
    """Activate the pending TOTP device with a correct code; return ten backup codes (shown only now).

    Every other session of the account ends (they signed in without a code; the session ``session_id`` confirming
    stays). Publishes ``auth.mfa_enabled``, which tells the person through their notification channels.

    :raises ConflictError: if there is no device waiting for confirmation.
    :raises AppError: MFA_INVALID_CODE for a wrong code (it counts toward the lockout); TOO_MANY_ATTEMPTS while
        the account is locked out.
    """
    account = Account.objects.get(pk=account_id)
    attempt = _attempt(account)
    try:
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(user_id=account_id, confirmed=False).first()
            if device is None:
                raise ConflictError(_("There is no device waiting for confirmation. Start again."))
            verified = device.verify_token(_normalise(code))
            if verified:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                StaticDevice.objects.filter(user_id=account_id).delete()
                backup = StaticDevice.objects.create(user=account, name=_BACKUP_NAME, confirmed=True)
                codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
                StaticToken.objects.bulk_create(StaticToken(device=backup, token=token) for token in codes)
                sessions_revoke_all(account_id=account_id, reason="mfa_enabled", keep_session_id=session_id)
                publish(
                    AUTH_MFA_ENABLED,
                    subject=account_id,
                    data=MfaEnabled(account_id=account_id, timestamp=timezone.now().isoformat()),
                )
        if not verified:
            attempt.fail()
            raise _invalid_code()
    finally:
        attempt.release()
    return codes


def mfa_disable(*, account_id: int, code: str, password: str) -> None:
    """Turn two-step sign-in off: with the password and a current TOTP code or a backup code, delete every device of
    the account.

    :raises ConflictError: if two-step sign-in is not on.
    :raises AppError: PASSWORD_INVALID for a wrong password, MFA_INVALID_CODE for a wrong code (both count toward
        the lockout); TOO_MANY_ATTEMPTS while the account is locked out.
    """
    from ukbot.auth.services import password_confirm  # services imports this module for the password step

    account = Account.objects.get(pk=account_id)
    if not mfa_required(account_id=account_id):
        raise ConflictError(_("Two-step sign-in is not on."))
    password_confirm(account=account, password=password)
    attempt = _attempt(account)
    try:
        with transaction.atomic():
            verified = _verified_device(account_id=account_id, code=code) is not None
            if verified:
                TOTPDevice.objects.filter(user_id=account_id).delete()
                StaticDevice.objects.filter(user_id=account_id).delete()
        if not verified:
            attempt.fail()
            raise _invalid_code()
    finally:
        attempt.release()


def _normalise(code: str) -> str:
    return "".join(code.split()).lower()


def _verified_device(*, account_id: int, code: str) -> Device | None:
    """The confirmed device that accepts ``code`` (and spends it), or None. Call inside a transaction."""
    code = _normalise(code)
    if not code:
        return None
    # The row lock makes two requests with one code take turns: the second sees the first one's last_t.
    totp = TOTPDevice.objects.select_for_update().filter(user_id=account_id, confirmed=True).first()
    if totp is not None and code.isdigit() and len(code) == totp.digits:
        return totp if totp.verify_token(code) else None
    backup = StaticDevice.objects.select_for_update().filter(user_id=account_id, confirmed=True).first()
    if backup is not None and backup.verify_token(code):
        return backup
    return None


def mfa_check(*, account_id: int, code: str) -> bool:
    """Check a TOTP code (each works once within its time step) or a backup code (consumed); True if accepted."""
    with transaction.atomic():
        return _verified_device(account_id=account_id, code=code) is not None


def mfa_device_for_code(*, account_id: int, code: str) -> Device | None:
    """The device that accepts ``code``, spending it (for django-otp's admin session), or None."""
    with transaction.atomic():
        return _verified_device(account_id=account_id, code=code)


# --- sign-in challenge -------------------------------------------------------------------------------------


def mfa_challenge_issue(
    *, account: Account, username: str, ip: str | None, device: str, first_factor: str = "password"
) -> MfaChallenge:
    """Sign a short-lived challenge for an account that passed its first factor (password or Telegram) and has
    a second one."""
    payload = {
        "a": account.pk,
        "u": username,
        "ip": ip,
        "d": device[:300],
        "f": first_factor,
        "n": secrets.token_urlsafe(16),
    }
    return MfaChallenge(
        challenge=signing.dumps(payload, salt=_CHALLENGE_SALT), expires_in=settings.MFA_CHALLENGE_SECONDS
    )


def _used_key(nonce: str) -> str:
    return f"mfa:challenge-used:{nonce}"


def _challenge_invalid() -> AppError:
    return AppError("MFA_CHALLENGE_INVALID", _("This sign-in has expired or was already completed. Sign in again."))


def _challenge_payload(challenge: str) -> dict:
    invalid = _challenge_invalid()
    try:
        payload = signing.loads(challenge, salt=_CHALLENGE_SALT, max_age=settings.MFA_CHALLENGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        raise invalid from None
    if not isinstance(payload, dict) or not payload.get("n") or cache.get(_used_key(payload["n"])):
        raise invalid
    return payload


def _record(*, username: str, ip: str | None, reason: str, account_id: int) -> None:
    login_attempt_record(username=username, ip=ip, reason=reason, method=METHOD, account_id=account_id)


def login_with_mfa(*, challenge: str, code: str, ip: str | None, device: str = "") -> IssuedTokens:
    """Complete a sign-in with the challenge from the password step and a TOTP or backup code; open a session.

    The challenge must come back from the address and the device (User-Agent) that passed the first factor: a
    challenge lifted from one client is no use from another.

    :raises AppError: MFA_CHALLENGE_INVALID for a tampered, expired or already used challenge, or one sent from
        another address or device; TOO_MANY_ATTEMPTS
        while the username or address is locked out; MFA_INVALID_CODE for a wrong code (it counts toward the
        lockout and is recorded as ``bad_otp``); ACCOUNT_BLOCKED.
    """
    from ukbot.auth.services import session_open  # services imports this module for the password step

    payload = _challenge_payload(challenge)
    if payload.get("ip") != ip or payload.get("d", "") != device[:300]:
        raise _challenge_invalid()
    account_id, username = payload["a"], payload["u"]
    attempt = lockout.attempt_begin(username=username, ip=ip)
    if attempt.wait:
        _record(username=username, ip=ip, reason=LoginAttempt.Reason.LOCKED, account_id=account_id)
        raise lockout.too_many_attempts(attempt.wait)
    try:
        if not mfa_check(account_id=account_id, code=code):
            attempt.fail()
            _record(username=username, ip=ip, reason=LoginAttempt.Reason.BAD_OTP, account_id=account_id)
            raise _invalid_code()
        # Spend the challenge: of two requests with it (and two good codes), only the first gets a session.
        if not cache.add(_used_key(payload["n"]), 1, timeout=settings.MFA_CHALLENGE_SECONDS + 60):
            raise _challenge_invalid()
        account = Account.objects.get(pk=account_id)
        try:
            method = f"{payload['f']}+totp" if payload.get("f") else METHOD
            tokens = session_open(account=account, ip=ip, device=device, method=method)
        except AppError:
            _record(username=username, ip=ip, reason=LoginAttempt.Reason.BLOCKED, account_id=account_id)
            raise
        attempt.succeed()
    finally:
        attempt.release()
    _record(username=username, ip=ip, reason=LoginAttempt.Reason.OK, account_id=account_id)
    return tokens


def devices_forget(*, account_id: int) -> int:
    """Delete a forgotten person's two-step devices (the TOTP secret, backup codes); safe twice. Returns how many."""
    deleted, _per_model = TOTPDevice.objects.filter(user_id=account_id).delete()
    backup, _per_model = StaticDevice.objects.filter(user_id=account_id).delete()
    return deleted + backup
