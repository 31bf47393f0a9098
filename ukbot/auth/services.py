"""Sign-in use-cases: password login, refresh-token rotation with reuse detection, logout, session revocation,
and the retention purges of sessions and sign-in attempts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.sessions.models import Session as BrowserSession
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.auth import lockout, mfa, telegram
from ukbot.auth.attempts import login_attempt_record
from ukbot.auth.events import AUTH_LOGIN, AUTH_LOGOUT, AUTH_TOKEN_EXPIRED, LoggedIn, LoggedOut, TokenExpired
from ukbot.auth.models import Account, LoginAttempt, RefreshToken, Session
from ukbot.auth.sessions import sessions_revoke_all
from ukbot.auth.tokens import access_token_for, new_refresh_token, refresh_token_hash
from ukbot.core.db.purge import delete_in_batches
from ukbot.core.errors import AppError, NotFoundError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.users import public as users_public


@dataclass(frozen=True)
class IssuedTokens:
    access: str
    refresh: str
    expires_in: int
    session_id: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


def _bad_credentials() -> AppError:
    return AppError("AUTHENTICATION_FAILED", _("Wrong username or password."))


def _record(
    *, username: str, ip: str | None, reason: str, account_id: int | None = None, method: str = "password"
) -> None:
    login_attempt_record(username=username, ip=ip, reason=reason, method=method, account_id=account_id)


def _issue(*, session: Session, profile: users_public.AccessProfile) -> IssuedTokens:
    """Write a new refresh token for ``session`` and sign an access token with the current claims."""
    refresh, token_hash = new_refresh_token()
    expires_at = timezone.now() + timedelta(days=settings.REFRESH_TOKEN_DAYS)
    RefreshToken.objects.create(token_hash=token_hash, session=session, expires_at=expires_at)
    # The session carries the role of its newest access token: withdrawing that role ends the session, and an
    # access token of another role (minted before a switch) no longer matches it (selectors.account_and_session).
    session.role = profile.active_role or ""
    Session.objects.filter(pk=session.pk).update(expires_at=expires_at, last_used_at=timezone.now(), role=session.role)
    access, lifetime = access_token_for(
        account_id=session.account_id,
        session_id=session.pk,
        role=profile.active_role,
        roles=profile.roles,
        scopes=profile.scopes,
    )
    return IssuedTokens(access=access, refresh=refresh, expires_in=lifetime, session_id=str(session.pk))


def session_open(*, account: Account, ip: str | None, device: str, method: str) -> IssuedTokens:
    """Start a session for an account that has proven who it is; publish ``auth.login``.

    :raises AppError: ACCOUNT_BLOCKED if the account is disabled or its profile blocked.
    """
    profile = users_public.access_profile(account_id=account.pk)
    if not account.is_active or profile.status == "blocked":
        raise AppError("ACCOUNT_BLOCKED", _("This account is blocked. Contact the management company."))
    now = timezone.now()
    with transaction.atomic():
        session = Session.objects.create(
            account=account,
            role=profile.active_role or "",
            device=device[:300],
            ip=ip,
            method=method,
            last_used_at=now,
            expires_at=now + timedelta(days=settings.REFRESH_TOKEN_DAYS),
        )
        tokens = _issue(session=session, profile=profile)
        Account.objects.filter(pk=account.pk).update(last_login=now)
        publish(
            AUTH_LOGIN,
            subject=account.pk,
            data=LoggedIn(
                account_id=account.pk, session_id=str(session.pk), method=method, ip=ip, timestamp=now.isoformat()
            ),
        )
    return tokens


def login_with_password(
    *, username: str, password: str, ip: str | None, device: str = ""
) -> IssuedTokens | mfa.MfaChallenge:
    """Check a username and password and open a session; every attempt is recorded.

    An account with a second factor gets an :class:`~ukbot.auth.mfa.MfaChallenge` instead of tokens, which
    :func:`ukbot.auth.mfa.login_with_mfa` completes with a code.

    :raises AppError: TOO_MANY_ATTEMPTS while the username or address is locked out (with Retry-After),
        AUTHENTICATION_FAILED for a wrong username or password, ACCOUNT_BLOCKED for a blocked account.
    """
    attempt = lockout.attempt_begin(username=username, ip=ip)
    if attempt.wait:
        _record(username=username, ip=ip, reason=LoginAttempt.Reason.LOCKED)
        raise lockout.too_many_attempts(attempt.wait)
    try:
        account = authenticate(username=username, password=password)
        if account is None:
            attempt.fail()
            _record(username=username, ip=ip, reason=LoginAttempt.Reason.BAD_CREDENTIALS)
            raise _bad_credentials()
        if mfa.mfa_required(account_id=account.pk):
            # Not in yet: the code decides, and counts at the MFA step.
            return mfa.mfa_challenge_issue(account=account, username=username, ip=ip, device=device)
        try:
            tokens = session_open(account=account, ip=ip, device=device, method="password")
        except AppError:
            _record(username=username, ip=ip, reason=LoginAttempt.Reason.BLOCKED, account_id=account.pk)
            raise
        attempt.succeed()
    finally:
        attempt.release()
    _record(username=username, ip=ip, reason=LoginAttempt.Reason.OK, account_id=account.pk)
    return tokens


def _revoke(session: Session, *, reason: str) -> None:
    """End one session (if still open) and publish ``auth.logout``; call inside a transaction."""
    if session.revoked_at is None:
        Session.objects.filter(pk=session.pk).update(revoked_at=timezone.now(), revoke_reason=reason)
        session.revoked_at = timezone.now()
        session.revoke_reason = reason
        publish(
            AUTH_LOGOUT,
            subject=session.account_id,
            data=LoggedOut(account_id=session.account_id, session_id=str(session.pk), reason=reason),
        )


def session_refresh(*, refresh_token: str) -> IssuedTokens:
    """Trade a refresh token for a new pair; the old one is spent. Claims are read afresh (roles, scopes).

    :raises AppError: AUTHENTICATION_FAILED for an unknown token; TOKEN_REUSED when a spent token comes back (its
        whole session is revoked); TOKEN_EXPIRED; SESSION_REVOKED when the session was ended or the role it was
        opened with has been withdrawn; ACCOUNT_BLOCKED.
    """
    failure: AppError | None = None
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update(of=("self", "session"))
            .select_related("session", "session__account")
            .filter(pk=refresh_token_hash(refresh_token))
            .first()
        )
        if row is None:
            raise AppError("AUTHENTICATION_FAILED", _("This refresh token is not valid."))
        session, now = row.session, timezone.now()
        profile = users_public.access_profile(account_id=session.account_id)
        if not session.account.is_active or profile.status == "blocked":
            # Before the revoked check: blocking ends the sessions at once, and the answer should still say why.
            _revoke(session, reason="blocked")
            failure = AppError("ACCOUNT_BLOCKED", _("This account is blocked. Contact the management company."))
        elif session.revoked_at is not None:
            failure = AppError("SESSION_REVOKED", _("This session has ended. Sign in again."))
        elif row.used_at is not None:
            # Somebody holds a copy of a spent token: end the session for both of them.
            _revoke(session, reason="token_reused")
            failure = AppError("TOKEN_REUSED", _("This refresh token was already used. Sign in again."))
        elif row.expires_at <= now:
            publish(
                AUTH_TOKEN_EXPIRED,
                subject=session.account_id,
                data=TokenExpired(account_id=session.account_id, session_id=str(session.pk), token_id=row.pk[:16]),
            )
            _revoke(session, reason="expired")
            failure = AppError("TOKEN_EXPIRED", _("This session has expired. Sign in again."))
        elif session.role and session.role not in profile.roles:
            _revoke(session, reason="role_withdrawn")
            failure = AppError("SESSION_REVOKED", _("Your role has changed. Sign in again."))
        else:
            RefreshToken.objects.filter(pk=row.pk).update(used_at=now)
            return _issue(session=session, profile=profile)
    raise failure  # after the commit: the revocation and the event stand


def session_logout(*, account_id: int, session_id: str) -> None:
    """End the caller's current session; its refresh token stops working. Publishes ``auth.logout``."""
    session_revoke(account_id=account_id, session_id=session_id, reason="logout")


def session_revoke(*, account_id: int, session_id: uuid.UUID | str, reason: str = "revoked") -> None:
    """End one of the account's own sessions.

    :raises NotFoundError: if the account has no such open session.
    """
    with transaction.atomic():
        session = (
            Session.objects.select_for_update()
            .filter(pk=session_id, account_id=account_id, revoked_at__isnull=True)
            .first()
        )
        if session is None:
            raise NotFoundError(_("No such session."))
        _revoke(session, reason=reason)


def password_confirm(*, account: Account, password: str) -> None:
    """Refuse a wrong current password; wrong ones count toward the lockout of the username, as at sign-in.

    :raises AppError: TOO_MANY_ATTEMPTS while the username is locked out; PASSWORD_INVALID for a wrong password.
    """
    attempt = lockout.attempt_begin(username=account.username, ip=None)
    if attempt.wait:
        raise lockout.too_many_attempts(attempt.wait)
    try:
        if not account.check_password(password):
            attempt.fail()
            raise AppError("PASSWORD_INVALID", _("The current password is wrong."))
    finally:
        attempt.release()


def _password_validate(*, account: Account, password: str, field: str) -> None:
    try:
        password_validation.validate_password(password, user=account)
    except DjangoValidationError as exc:
        raise ValidationFailedError(details={field: " ".join(exc.messages)}) from None


def password_change(*, account_id: int, session_id: uuid.UUID | str, old_password: str, new_password: str) -> int:
    """Change the caller's password and end their other sessions (the one asking stays signed in); return how
    many sessions were ended.

    :raises AppError: PASSWORD_INVALID for a wrong current password (it counts toward the lockout);
        TOO_MANY_ATTEMPTS while locked out.
    :raises ValidationFailedError: if the new password is too weak (Django's password validators).
    """
    account = Account.objects.get(pk=account_id)
    password_confirm(account=account, password=old_password)
    _password_validate(account=account, password=new_password, field="new_password")
    with transaction.atomic():
        account.set_password(new_password)
        account.save(update_fields=["password"])
        return sessions_revoke_all(account_id=account_id, reason="password_changed", keep_session_id=session_id)


def password_reset(*, account_id: int, new_password: str | None) -> int:
    """Set a person's password for them (``None``: no password sign-in at all) and end every session they have;
    return how many. For staff resetting a forgotten or leaked password.
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        if new_password is None:
            account.set_unusable_password()
        else:
            account.set_password(new_password)
        account.save(update_fields=["password"])
        return sessions_revoke_all(account_id=account_id, reason="password_reset")


def account_forget(*, account_id: int) -> None:
    """Anonymise a forgotten person's account, end their sessions and strip their sign-in records; safe twice.

    The rows stay (statistics and audit keep their counts); what named the person is emptied. An unknown account
    is no error: there is nothing left to forget.
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            return
        old_username = account.username
        account.username = f"forgotten-{account_id}"
        account.first_name = account.last_name = account.email = account.phone = ""
        account.telegram_id = None
        account.is_active = False
        account.set_unusable_password()
        account.save()
        sessions_revoke_all(account_id=account_id, reason="forgotten")
        Session.objects.filter(account_id=account_id).update(device="", ip=None)
        LoginAttempt.objects.filter(account_id=account_id).update(username="", ip=None)
        mfa.devices_forget(account_id=account_id)
        # failed attempts name the person only by the username they typed
        LoginAttempt.objects.filter(account_id__isnull=True, username__iexact=old_username).update(username="", ip=None)


def telegram_account_ensure(*, telegram_id: int, first_name: str = "", last_name: str = "") -> Account:
    """Return the account of a Telegram user, creating it (without a password or a profile) on first contact.

    Safe under concurrency: two first contacts at once end with one account.
    """
    account = Account.objects.filter(telegram_id=telegram_id).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            username = f"tg{telegram_id}"
            if Account.objects.filter(username=username).exists():
                username = f"tg{telegram_id}-{uuid.uuid4().hex[:6]}"
            account = Account(
                username=username, first_name=first_name[:150], last_name=last_name[:150], telegram_id=telegram_id
            )
            account.set_unusable_password()
            account.save()
    except IntegrityError:
        # Two first contacts at once: the other one created the account.
        account = Account.objects.get(telegram_id=telegram_id)
    return account


def _telegram_account(user: telegram.TelegramUser) -> Account:
    """The account of a Telegram user, created (as an applicant) on first sign-in."""
    account = Account.objects.filter(telegram_id=user.id).first()
    if account is not None:
        return account
    language = user.language_code[:2] if user.language_code[:2] in {"ru", "uz", "en"} else "ru"
    with transaction.atomic():
        account = telegram_account_ensure(telegram_id=user.id, first_name=user.first_name, last_name=user.last_name)
        users_public.ensure_applicant(
            account_id=account.pk,
            first_name=user.first_name[:150],
            last_name=user.last_name[:150],
            language=language,
        )
    return account


def login_with_telegram(
    *, widget: dict | None = None, init_data: str | None = None, ip: str | None, device: str = ""
) -> IssuedTokens | mfa.MfaChallenge:
    """Exchange Telegram Login Widget data or Mini App ``initData`` for tokens; unknown users become applicants.

    An account with a second factor gets an :class:`~ukbot.auth.mfa.MfaChallenge` instead, as at password login.

    :raises AppError: SERVICE_UNAVAILABLE without a bot token; TOO_MANY_ATTEMPTS while the address is locked out;
        TELEGRAM_AUTH_INVALID for data not signed by our bot; TELEGRAM_AUTH_EXPIRED for stale data;
        ACCOUNT_BLOCKED.
    """
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise AppError("SERVICE_UNAVAILABLE", _("Sign-in with Telegram is not configured."))
    attempt = lockout.attempt_begin(username=None, ip=ip)
    if attempt.wait:
        _record(username="telegram", ip=ip, reason=LoginAttempt.Reason.LOCKED, method="telegram")
        raise lockout.too_many_attempts(attempt.wait)
    max_age = settings.TELEGRAM_AUTH_MAX_AGE_SECONDS
    try:
        if widget is not None:
            user = telegram.verify_login_widget(widget, bot_token=token, max_age=max_age)
        else:
            user = telegram.verify_init_data(init_data or "", bot_token=token, max_age=max_age)
    except telegram.TelegramDataError as exc:
        attempt.fail()
        _record(username="telegram", ip=ip, reason=exc.reason, method="telegram")
        if exc.reason == "stale":
            raise AppError("TELEGRAM_AUTH_EXPIRED", _("This Telegram sign-in has expired. Try again.")) from None
        raise AppError("TELEGRAM_AUTH_INVALID", _("This Telegram sign-in could not be verified.")) from None
    finally:
        # Signed by our bot: the data is genuine, whatever comes next; only forgeries count against the address.
        attempt.release()
    account = _telegram_account(user)
    username = f"telegram:{user.id}"
    if mfa.mfa_required(account_id=account.pk):
        # Telegram stands for the first factor only: an account with TOTP still gives its code.
        return mfa.mfa_challenge_issue(
            account=account, username=username, ip=ip, device=device, first_factor="telegram"
        )
    try:
        tokens = session_open(account=account, ip=ip, device=device, method="telegram")
    except AppError:
        _record(username=username, ip=ip, reason=LoginAttempt.Reason.BLOCKED, account_id=account.pk, method="telegram")
        raise
    _record(username=username, ip=ip, reason=LoginAttempt.Reason.OK, account_id=account.pk, method="telegram")
    return tokens


# --- retention (docs/decisions/0030-retention-and-audit.md) ---


def login_attempts_purge(*, older_than: timedelta, batch: int = 1000) -> int:
    """Delete sign-in attempts older than ``older_than``, never one the lockout may still count (its window, and the
    day over which its lockouts grow); return how many went."""
    lockout_memory = max(timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS), timedelta(days=1))
    cutoff = timezone.now() - max(older_than, lockout_memory)
    return delete_in_batches(LoginAttempt.objects.filter(created_at__lt=cutoff), batch=batch)


def sessions_purge(*, older_than: timedelta, batch: int = 1000) -> int:
    """Delete sign-in sessions (with their refresh tokens) that ended more than ``older_than`` ago, revoked or
    expired, and the admin's expired browser sessions; return how many sign-in sessions went. Open sessions stay."""
    now = timezone.now()
    cutoff = now - older_than
    ended_long_ago = Q(revoked_at__lt=cutoff) | Q(revoked_at__isnull=True, expires_at__lt=cutoff)
    purged = delete_in_batches(Session.objects.filter(ended_long_ago), batch=batch)
    # The admin's cookie sessions (django.contrib.sessions): an expired one can never be used again.
    delete_in_batches(BrowserSession.objects.filter(expire_date__lt=now), batch=batch)
    return purged
