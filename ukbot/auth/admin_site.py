"""The admin site: staff who have set up two-step sign-in give a code at the admin login; others log in as before.

django-otp's ``OTPAdminSite`` would shut out every staff member without a device; ours asks for the code only
of those who have one. The code is checked by :func:`ukbot.auth.mfa.mfa_device_for_code` (the same single-use
rules as the API), and the device that accepted it is kept in the admin session by django-otp's
``OTPMiddleware`` (``request.user.is_verified()``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from ukbot.auth import lockout, mfa


class OtpAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form with a code field, required only of staff who have a confirmed device."""

    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=32,
        help_text=_("If you use two-step sign-in: the code from your authenticator app, or a backup code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and mfa.mfa_required(account_id=user.pk):
            code = cleaned.get("otp_token") or ""
            if not code:
                raise forms.ValidationError(
                    _("Enter the one-time code from your authenticator app."), code="otp_required"
                )
            # django-otp's own throttle is off (settings): wrong codes here count toward the sign-in lockout too.
            ip = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
            wait = lockout.locked_for(username=user.get_username(), ip=ip)
            if wait:
                raise forms.ValidationError(
                    _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": wait},
                    code="otp_locked",
                )
            device = mfa.mfa_device_for_code(account_id=user.pk, code=code)
            if device is None:
                lockout.record_failure(username=user.get_username(), ip=ip)
                raise forms.ValidationError(_("The code is wrong, expired or already used."), code="otp_invalid")
            user.otp_device = device  # django_otp stores it in the session on login (its user_logged_in handler)
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
