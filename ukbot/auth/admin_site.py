"""The admin site: staff who have set up two-step sign-in give a code at the admin login; others log in as before.

django-otp's ``OTPAdminSite`` would shut out every staff member without a device; ours asks for the code only
of those who have one. The code is checked by :func:`ukbot.auth.mfa.mfa_device_for_code` (the same single-use
rules as the API), and the device that accepted it is kept in the admin session by django-otp's
``OTPMiddleware`` (``request.user.is_verified()``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from ukbot.auth import lockout, mfa
from ukbot.auth.attempts import login_attempt_record
from ukbot.auth.models import LoginAttempt
from ukbot.core.client_address import client_ip
from ukbot.core.errors import AppError


class OtpAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form with a code field, required only of staff who have a confirmed device."""

    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=32,
        help_text=_("If you use two-step sign-in: the code from your authenticator app, or a backup code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def _ip(self) -> str | None:
        return client_ip(self.request) if self.request is not None else None

    def _record(self, reason: str, *, account_id: int | None = None) -> None:
        username = self.cleaned_data.get("username") or ""
        login_attempt_record(username=username, ip=self._ip(), reason=reason, method="admin", account_id=account_id)

    def clean(self) -> dict[str, Any]:
        # The same lockout as the API's sign-in: password guesses here count, and a locked name stays locked.
        username, ip = self.cleaned_data.get("username") or "", self._ip()
        try:
            attempt = lockout.attempt_begin(username=username, ip=ip)
        except AppError as exc:  # Redis out of reach: the lockout cannot count, so nobody signs in
            raise forms.ValidationError(str(exc.message), code="unavailable") from exc
        if attempt.wait:
            self._record(LoginAttempt.Reason.LOCKED)
            raise forms.ValidationError(
                _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": attempt.wait},
                code="locked",
            )
        try:
            try:
                cleaned = super().clean()
            except forms.ValidationError:
                attempt.fail()
                self._record(LoginAttempt.Reason.BAD_CREDENTIALS)
                raise
            user = self.get_user()
            if user is not None and mfa.mfa_required(account_id=user.pk):
                code = cleaned.get("otp_token") or ""
                if not code:
                    raise forms.ValidationError(
                        _("Enter the one-time code from your authenticator app."), code="otp_required"
                    )
                device = mfa.mfa_device_for_code(account_id=user.pk, code=code)
                if device is None:
                    # django-otp's own throttle is off (settings): wrong codes count toward the sign-in lockout.
                    attempt.fail()
                    self._record(LoginAttempt.Reason.BAD_OTP, account_id=user.pk)
                    raise forms.ValidationError(_("The code is wrong, expired or already used."), code="otp_invalid")
                # django_otp stores it in the session on login (its user_logged_in handler); the model does not
                # declare it
                user.otp_device = device  # type: ignore[attr-defined]
            attempt.succeed()
        finally:
            attempt.release()
        self._record(LoginAttempt.Reason.OK, account_id=user.pk if user else None)
        return cleaned


class AdminSite(admin.AdminSite):
    login_form = OtpAdminAuthenticationForm
    login_template = "ukbot_auth/admin_login.html"

    def has_permission(self, request):
        """Staff as usual; a staff member with a device also needs a session verified with its code."""
        if not super().has_permission(request):
            return False
        if request.user.is_verified():
            return True
        return not mfa.mfa_required(account_id=request.user.pk)
