"""Service levels and lifecycle settings: reaction and resolution times per urgency, and the company's rules."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ukbot.requests import sla
from ukbot.requests.admin.common import URGENCY_RANK
from ukbot.requests.models import Settings, SlaPolicy
from ukbot.requests.statuses import Urgency


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ("urgency", "reaction_minutes", "resolution_minutes")

    def clean_reaction_minutes(self) -> int:
        minutes = self.cleaned_data["reaction_minutes"]
        if minutes < 1:
            raise forms.ValidationError(_("Give at least one minute."))
        return minutes

    def clean(self):
        cleaned = super().clean()
        reaction, resolution = cleaned.get("reaction_minutes"), cleaned.get("resolution_minutes")
        if reaction is not None and resolution is not None and resolution < reaction:
            self.add_error(
                "resolution_minutes",
                _("The resolution time must be at least the reaction time (%(minutes)d minutes).")
                % {"minutes": reaction},
            )
        return cleaned


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Reaction and resolution times per urgency; a change applies to requests created (or re-prioritised) later."""

    form = SlaPolicyForm
    list_display = ("urgency", "reaction_minutes", "resolution_minutes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaPolicy]:
        rank = Case(*(When(urgency=key, then=Value(r)) for key, r in URGENCY_RANK.items()), output_field=IntegerField())
        return super().get_queryset(request).annotate(rank=rank).order_by("rank")

    def get_readonly_fields(self, request: HttpRequest, obj: SlaPolicy | None = None) -> tuple[str, ...]:
        return ("urgency",) if obj else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row per urgency: an admin may only restore a missing one.
        return SlaPolicy.objects.count() < len(Urgency.values) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Settings)
class SettingsAdmin(admin.ModelAdmin):
    """The single row of lifecycle settings; the list opens it directly."""

    fields = ("manager_check", "auto_accept_days", "duplicate_window_hours")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the row exists (the migration seeds it; settings_get restores it)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = sla.settings_get()
        return HttpResponseRedirect(reverse("admin:requests_settings_change", args=[row.pk]))
