"""Dispatch in Django admin: the settings (one row, with the history of its changes) and the log of assignments
(read-only, filtered)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ukbot.assignment import selectors, services
from ukbot.assignment.models import Assignment, Settings, SettingsChange


class SettingsForm(forms.ModelForm):
    class Meta:
        model = Settings
        fields = services.SETTINGS_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if all(name in cleaned for name in services.SETTINGS_FIELDS):
            for name, message in services.settings_problems(cleaned).items():
                self.add_error(name, message)
        return cleaned


@admin.register(Settings)
class SettingsAdmin(admin.ModelAdmin):
    """The single row of dispatch settings; the list opens it directly, and a save goes through the service, which
    records the change in the history shown below the form."""

    form = SettingsForm
    fieldsets = (
        (
            _("Weights"),
            {
                "fields": services.WEIGHT_FIELDS,
                "description": _(
                    "How much each part of a candidate's score counts; zero switches a part off. At least one "
                    "weight must be above zero."
                ),
            },
        ),
        (_("Limits and travel"), {"fields": ("capacity", "road_factor", "speed_kmh", "track_record_days")}),
        (_("History of changes"), {"fields": ("history",)}),
    )
    readonly_fields = ("history",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the row exists (the migration seeds it; settings_get restores it)

    def has_delete_permission(self, request: HttpRequest, obj: Settings | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseRedirect:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = selectors.settings_get()
        return HttpResponseRedirect(reverse("admin:assignment_settings_change", args=[row.pk]))

    def save_model(self, request: HttpRequest, obj: Settings, form: forms.ModelForm, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
        services.settings_update(actor_id=request.user.pk, **values)

    @admin.display(description=_("changes"))
    def history(self, obj: Settings) -> str:
        rows = SettingsChange.objects.all()[:20]
        if not rows:
            return str(_("No changes yet."))
        return format_html_join(
            "",
            "<div>{} · #{} · {}</div>",
            (
                (
                    f"{row.changed_at:%Y-%m-%d %H:%M}",
                    row.changed_by or "—",
                    "; ".join(f"{name}: {old} → {new}" for name, (old, new) in sorted(row.changes.items())),
                )
                for row in rows
            ),
        )


class OverrodeFilter(admin.SimpleListFilter):
    title = _("top recommendation")
    parameter_name = "overrode"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("overridden")), ("no", _("followed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
        followed = Q(recommended_executor_id__isnull=True) | Q(recommended_executor_id=F("executor_id"))
        if self.value() == "yes":
            return queryset.exclude(followed)
        if self.value() == "no":
            return queryset.filter(followed)
        return queryset


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """The log of assignments: read-only, filtered by algorithm, time and whether the top recommendation was
    overridden."""

    list_display = (
        "created_at",
        "request_number",
        "executor_id",
        "algorithm",
        "score",
        "rank",
        "recommended_executor_id",
        "decided_by",
    )
    list_filter = ("algorithm", OverrodeFilter, "created_at")
    search_fields = ("request_number",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Assignment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Assignment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Assignment | None = None) -> bool:
        return False
