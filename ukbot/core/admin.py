"""Admin for operators: outbox events and deliveries, with dead letters and a replay action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.core.events.relay import replay
from ukbot.core.models import Delivery, OutboxEvent


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
