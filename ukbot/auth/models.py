"""Accounts, sign-in sessions with rotating refresh tokens, and the record of every login attempt."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(AbstractUser):
    """One person, one id in every app. Passwords are hashed with Argon2 (settings.PASSWORD_HASHERS)."""

    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    telegram_id = models.BigIntegerField(_("Telegram id"), null=True, blank=True, unique=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # django-stubs declare no AbstractUser.Meta
        db_table = 'auth"."account'
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("account")
        verbose_name_plural = _("accounts")


class Session(models.Model):
    """One signed-in device: its refresh tokens rotate inside it; revoking it ends every token it issued."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("account"))
    role = models.CharField(_("role at sign-in"), max_length=20, blank=True, default="")
    device = models.CharField(_("device"), max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("sign-in method"), max_length=20, default="password")
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("revoke reason"), max_length=40, blank=True, default="")

    class Meta:
        db_table = 'auth"."session'
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["account", "revoked_at"], name="session_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.device or self.id}"


class RefreshToken(models.Model):
    """A refresh token, stored as its SHA-256: usable once, then replaced by the next one of its session."""

    token_hash = models.CharField(max_length=64, primary_key=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refresh_tokens")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'auth"."refresh_token'

    def __str__(self) -> str:
        return f"{self.session_id} @ {self.issued_at:%Y-%m-%d %H:%M}"


class LoginAttempt(models.Model):
    """Every attempt to sign in, successful or not, with why it failed."""

    class Reason(models.TextChoices):
        OK = "ok", _("signed in")
        BAD_CREDENTIALS = "bad_credentials", _("wrong username or password")
        INACTIVE = "inactive", _("account disabled")
        BLOCKED = "blocked", _("account blocked")
        LOCKED = "locked", _("locked out after repeated failures")
        BAD_SIGNATURE = "bad_signature", _("invalid Telegram signature")
        STALE = "stale", _("Telegram data too old")
        BAD_OTP = "bad_otp", _("wrong one-time code")

    account_id = models.BigIntegerField(_("account id"), null=True, blank=True, db_index=True)
    username = models.CharField(_("username tried"), max_length=150, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("sign-in method"), max_length=20, default="password")
    success = models.BooleanField(_("success"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        db_table = 'auth"."login_attempt'
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")

    def __str__(self) -> str:
        return f"{self.username or self.account_id} {self.reason}"
