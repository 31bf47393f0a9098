"""Admin: accounts, their sign-in sessions (with revoke), and the login-attempt log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.auth.models import Account, LoginAttempt, Session
from ukbot.auth.services import password_reset, session_revoke
from ukbot.core.audit import AuditedAdmin
from ukbot.core.errors import NotFoundError


class AccountPasswordResetForm(AdminPasswordChangeForm):
    """Django's admin form for setting someone's password, through :func:`~ukbot.auth.services.password_reset`:
    every session of the person ends with it (a leaked password must not leave a thief signed in)."""

    def save(self, commit: bool = True) -> Any:
        if not commit:
            return super().save(commit=False)
        usable = self.cleaned_data.get("set_usable_password", True)
        password_reset(account_id=self.user.pk, new_password=self.cleaned_data["password1"] if usable else None)
        self.user.refresh_from_db(fields=["password"])
        return self.user


@admin.register(Account)
class AccountAdmin(AuditedAdmin, UserAdmin):
    """Accounts; the audit log keeps each change, with the staff flags, groups and permissions (never a password:
    a new one shows as changed, without values)."""

    change_password_form = AccountPasswordResetForm
    list_display = ("username", "first_name", "last_name", "phone", "telegram_id", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email", "phone", "=telegram_id")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),  # never None in Django; the stubs allow it
        (_("Contacts"), {"fields": ("phone", "telegram_id")}),
    )
    audit_exclude = ("last_login",)  # moves at every sign-in, not an admin's change

    def audit_snapshot(self, obj: Account) -> dict[str, Any]:
        values = super().audit_snapshot(obj)
        values["groups"] = sorted(obj.groups.values_list("name", flat=True))
        values["user_permissions"] = sorted(
            f"{app}.{codename}"
            for app, codename in obj.user_permissions.values_list("content_type__app_label", "codename")
        )
        return values


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("account", "device", "ip", "method", "created_at", "last_used_at", "revoked_at", "revoke_reason")
    list_filter = ("method", "revoke_reason")
    search_fields = ("account__username", "ip", "device")
    list_select_related = ("account",)
    readonly_fields = (
        "account",
        "role",
        "device",
        "ip",
        "method",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoke_reason",
    )
    actions = ["revoke_sessions"]

    @admin.action(description=_("Revoke selected sessions"))
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        # One by one through the service, so that each ended session publishes its auth.logout.
        count = 0
        open_sessions = queryset.filter(revoked_at__isnull=True).order_by("created_at", "pk")  # oldest first
        for session_id, account_id in open_sessions.values_list("pk", "account_id"):
            try:
                session_revoke(account_id=account_id, session_id=session_id, reason="admin")
            except NotFoundError:
                continue  # ended meanwhile (signed out, or another admin was quicker)
            count += 1
        self.message_user(
            request,
            ngettext("Revoked %(count)d session.", "Revoked %(count)d sessions.", count) % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ("created_at", "username", "account_id", "ip", "method", "success", "reason")
    list_filter = ("success", "reason", "method")
    search_fields = ("username", "=account_id", "ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginAttempt | None = None) -> bool:
        return False
