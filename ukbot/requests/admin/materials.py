"""The materials queue: approve, mark issued or reject (with a reason) the items executors asked for."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.core.errors import AppError
from ukbot.requests import services
from ukbot.requests.admin.common import MaterialRejectForm, action_page, error_text
from ukbot.requests.models import Material, MaterialStatus


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    """The materials queue: approve, mark issued or reject (with a reason) executors' requested items."""

    list_display = (
        "id",
        "request",
        "item",
        "quantity",
        "unit",
        "status",
        "requested_by",
        "decided_by",
        "reason",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("request__number", "item")
    list_select_related = ("request",)
    ordering = ("created_at", "pk")
    actions = ["approve", "issue", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # executors ask for materials through the bot or the API

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a manager rejects a line; it stays in the request's record

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The list and its actions need the change permission; a line's own page is read-only.
        return obj is None and super().has_change_permission(request)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Material], to_status: str, reason: str = "") -> int:
        done = 0
        for material in queryset.order_by("pk"):
            try:
                services.material_decide(
                    material_id=material.pk, to_status=to_status, actor_id=request.user.pk, reason=reason
                )
            except AppError as exc:
                self.message_user(request, f"{material.request_id} · {material}: {error_text(exc)}", messages.WARNING)
            else:
                done += 1
        return done

    @admin.action(description=_("Approve the selected materials"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Material]) -> None:
        done = self._decide(request, queryset, MaterialStatus.APPROVED)
        if done:
            self.message_user(
                request,
                ngettext("Approved %(count)d material.", "Approved %(count)d materials.", done) % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark the selected materials issued"), permissions=["change"])
    def issue(self, request: HttpRequest, queryset: QuerySet[Material]) -> None:
        done = self._decide(request, queryset, MaterialStatus.ISSUED)
        if done:
            self.message_user(
                request,
                ngettext("Marked %(count)d material issued.", "Marked %(count)d materials issued.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Reject the selected materials…"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Material]) -> TemplateResponse | None:
        form = MaterialRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = self._decide(request, queryset, MaterialStatus.REJECTED, form.cleaned_data["reason"])
            if done:
                self.message_user(
                    request,
                    ngettext("Rejected %(count)d material.", "Rejected %(count)d materials.", done) % {"count": done},
                    messages.SUCCESS,
                )
            return None
        return action_page(
            self,
            request,
            title=_("Reject materials"),
            intro=_("These materials will be rejected; the executor sees the reason."),
            items=[
                {"pk": m.pk, "label": f"{m.request_id}: {m} ({m.get_status_display()})"}
                for m in queryset.order_by("pk")
            ],
            form=form,
            action="reject",
            submit=_("Reject"),
        )
