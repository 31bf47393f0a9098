"""Admin for operators: outbox events and deliveries, with dead letters and a replay action; the audit log of admin
changes and Django's own log entries, both read-only for everyone (docs/decisions/0030)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.core.events.relay import replay
from ukbot.core.models import AdminAuditEntry, Delivery, OutboxEvent


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("handler", "status", "attempts", "available_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("time", "type", "subject", "sequence", "correlation_id")
    list_filter = ("type", "source")
    search_fields = ("=id", "subject", "correlation_id")
    date_hierarchy = "time"
    readonly_fields = ("id", "type", "source", "subject", "time", "data", "correlation_id", "sequence")
    inlines = [DeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event_type", "event__subject", "handler", "status", "attempts", "available_at")
    list_filter = ("status", "handler")
    search_fields = ("=event__id", "event__subject", "handler")
    list_select_related = ("event",)
    readonly_fields = (
        "event",
        "handler",
        "aggregate",
        "status",
        "attempts",
        "available_at",
        "created_at",
        "finished_at",
        "last_error",
    )
    actions = ["replay_dead_letters"]

    @admin.display(description=_("event type"), ordering="event__type")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.type

    @admin.action(description=_("Replay selected dead letters"))
    def replay_dead_letters(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        with transaction.atomic():
            count = replay(delivery_ids=list(queryset.filter(status=Delivery.Status.DEAD).values_list("id", flat=True)))
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext("Replayed %(count)d dead letter.", "Replayed %(count)d dead letters.", count) % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d delivery that was not a dead letter.",
                    "Skipped %(count)d deliveries that were not dead letters.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False


class _KeptForGood(admin.ModelAdmin):
    """A record of what people did: nobody adds, changes or deletes one here, superusers included; superusers and
    those given the model's view permission (managers) may read it."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _may_view(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        opts = self.model._meta
        return user.is_superuser or user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_view(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_view(request)


# Values an admin adds to its snapshot beyond the record's own fields (AuditedAdmin.audit_snapshot).
EXTRA_LABELS = {"roles": _("roles"), "specializations": _("specializations")}


def _field_of(model_label: str, name: str) -> tuple[str, Any]:
    """The field's verbose name, and the field when the model still has it."""
    try:
        field = apps.get_model(model_label)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return str(EXTRA_LABELS.get(name, name)), None
    return str(getattr(field, "verbose_name", None) or EXTRA_LABELS.get(name, name)), field  # a reverse relation


def _shown(value: Any, field: Any) -> str:
    """A stored value as the reader knows it: a choice's label beside its key, a time in the company's zone."""
    if value is None:
        return "—"
    choices = {str(key): text for key, text in (getattr(field, "flatchoices", None) or ())}
    if isinstance(value, str | int) and str(value) in choices:
        return f"{choices[str(value)]} ({value})"
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None:
            return formats.localize(timezone.localtime(parsed)) if timezone.is_aware(parsed) else value
    return str(value)


def _kind_of(model_label: str) -> str:
    try:
        return str(apps.get_model(model_label)._meta.verbose_name)
    except (LookupError, ValueError):
        return model_label


class KindFilter(admin.SimpleListFilter):
    """The kinds of record in the log, by their names in the reader's language."""

    title = _("kind of record")
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        labels = AdminAuditEntry.objects.order_by().values_list("model", flat=True).distinct()
        return sorted(((label, _kind_of(label)) for label in labels), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(model=self.value()) if self.value() else queryset


@admin.register(AdminAuditEntry)
class AdminAuditEntryAdmin(_KeptForGood):
    list_display = ("time", "actor_name", "action", "kind", "object_repr", "changed_fields")
    list_filter = ("action", KindFilter, "time", "actor_name")
    search_fields = ("=actor_id", "actor_name", "=object_id", "object_repr")
    date_hierarchy = "time"
    fields = ("time", "actor_name", "actor_id", "action", "kind", "object_id", "object_repr", "changes_table")
    readonly_fields = fields

    @admin.display(description=_("kind of record"), ordering="model")
    def kind(self, obj: AdminAuditEntry) -> str:
        return _kind_of(obj.model)

    @admin.display(description=_("changed fields"))
    def changed_fields(self, obj: AdminAuditEntry) -> str:
        return ", ".join(_field_of(obj.model, name)[0] for name in obj.changes)

    @admin.display(description=_("changes"))
    def changes_table(self, obj: AdminAuditEntry) -> str:
        rows = []
        for name, (old, new) in obj.changes.items():
            label, field = _field_of(obj.model, name)
            rows.append((label, _shown(old, field), _shown(new, field)))
        return format_html(
            '<table class="ukbot-audit-changes"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("field"),
            _("old value"),
            _("new value"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


@admin.register(LogEntry)
class LogEntryAdmin(_KeptForGood):
    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag", "change_text")
    list_filter = ("action_flag", "content_type", "action_time")
    search_fields = ("object_repr", "=object_id", "user__username")
    date_hierarchy = "action_time"
    list_select_related = ("user", "content_type")
    fields = ("action_time", "user", "content_type", "object_id", "object_repr", "action_flag", "change_text")
    readonly_fields = fields

    @admin.display(description=_("change message"))
    def change_text(self, obj: LogEntry) -> str:
        return obj.get_change_message()
