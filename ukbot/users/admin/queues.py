"""The queues managers work through: apartment links to moderate, invitations to watch or withdraw, and executor
verification applications to approve or reject."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.core.errors import AppError
from ukbot.media import public as media_public
from ukbot.users import services
from ukbot.users.models import (
    ApartmentLink,
    ApartmentLinkStatus,
    Building,
    Invitation,
    VerificationApplication,
    VerificationStatus,
    Yard,
)
from ukbot.users.services import invitations, verification

DOCUMENT_LINK_TTL = 600  # seconds a document's signed link works: enough to review the application

# --- apartment moderation --------------------------------------------------------------------------------------


class ApartmentLinkStatusFilter(admin.SimpleListFilter):
    """Status, showing the pending links (the queue) until another status or all are chosen."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*ApartmentLinkStatus.choices, (self.ALL, _("All"))]

    def value(self) -> str:
        return super().value() or ApartmentLinkStatus.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() in ApartmentLinkStatus.values:
            return queryset.filter(status=self.value())
        return queryset


class ApartmentLinkRejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)


@admin.register(ApartmentLink)
class ApartmentLinkAdmin(admin.ModelAdmin):
    """The apartment-moderation queue: approve or reject residents' links, through the services."""

    class Media:
        css = {"all": (media_public.PREVIEW_CSS,)}  # the document's thumbnail

    list_display = (
        "id",
        "profile",
        "apartment_number",
        "building",
        "yard",
        "relation",
        "is_primary",
        "status",
        "document",
        "created_at",
        "reviewed_at",
    )
    list_filter = (ApartmentLinkStatusFilter, "relation", "apartment__entrance__building__yard")
    search_fields = (
        "=profile__account_id",
        "profile__first_name",
        "profile__last_name",
        "profile__phone",
        "apartment__entrance__building__address",
    )
    list_select_related = ("profile", "apartment__entrance__building__yard")
    ordering = ("created_at", "pk")
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # residents ask for links themselves

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a resident removes their own link; a manager rejects it

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The list and its actions need the change permission; a link's own page is read-only.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("identity document"))
    def document(self, obj: ApartmentLink) -> str:
        if obj.document_media_id is None:
            return "—"
        return media_public.preview_html(media_id=obj.document_media_id, ttl=DOCUMENT_LINK_TTL)

    @admin.display(description=_("apartment"), ordering="apartment__number")
    def apartment_number(self, obj: ApartmentLink) -> str:
        return f"{obj.apartment.number} ({_('entrance')} {obj.apartment.entrance.number})"

    @admin.display(description=_("building"), ordering="apartment__entrance__building__address")
    def building(self, obj: ApartmentLink) -> Building:
        return obj.apartment.entrance.building

    @admin.display(description=_("yard"), ordering="apartment__entrance__building__yard__name")
    def yard(self, obj: ApartmentLink) -> Yard:
        return obj.apartment.entrance.building.yard

    def _review(self, request: HttpRequest, queryset: QuerySet[ApartmentLink], review, done: str) -> None:
        count = 0
        for link_id in queryset.values_list("pk", flat=True):
            try:
                review(link_id)
            except AppError as exc:
                self.message_user(request, f"#{link_id}: {exc.message}", messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Approve the selected apartment links"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[ApartmentLink]) -> None:
        self._review(
            request,
            queryset,
            lambda link_id: services.apartment_link_approve(link_id=link_id, reviewer_id=request.user.pk),
            ngettext("Approved %(count)d apartment link.", "Approved %(count)d apartment links.", queryset.count()),
        )

    @admin.action(description=_("Reject the selected apartment links…"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[ApartmentLink]) -> TemplateResponse | None:
        form = ApartmentLinkRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._review(
                request,
                queryset,
                lambda link_id: services.apartment_link_reject(
                    link_id=link_id, reviewer_id=request.user.pk, reason=reason
                ),
                ngettext("Rejected %(count)d apartment link.", "Rejected %(count)d apartment links.", queryset.count()),
            )
            return None
        return TemplateResponse(
            request,
            "admin/users/apartmentlink/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject apartment links"),
                "opts": self.model._meta,
                "links": queryset,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


# --- invitations and executor verification ---------------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made through the API or the bot (the code is shown once there); here they are watched."""

    list_display = ("id", "role", "specialization", "level", "created_by", "created_at", "expires_at", "used_by")
    list_filter = ("role", "specialization")
    search_fields = ("=created_by", "=used_by", "note")
    readonly_fields = (
        "role",
        "specialization",
        "level",
        "note",
        "created_by",
        "created_at",
        "expires_at",
        "used_by",
        "used_at",
        "revoked_at",
    )
    exclude = ("code_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Withdraw selected invitations"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        done = 0
        for invitation in queryset.filter(used_at__isnull=True, revoked_at__isnull=True):
            invitations.invitation_revoke(invitation_id=invitation.pk)
            done += 1
        self.message_user(
            request,
            ngettext("Withdrew %(count)d invitation.", "Withdrew %(count)d invitations.", done) % {"count": done},
            messages.SUCCESS,
        )


class VerificationReviewForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea, required=True, max_length=2000)


@admin.register(VerificationApplication)
class VerificationApplicationAdmin(admin.ModelAdmin):
    """The verification queue: pending first, documents listed, approve or reject (with a reason)."""

    class Media:
        css = {"all": (media_public.PREVIEW_CSS,)}  # the documents' thumbnails

    list_display = ("id", "account_id", "specialization", "document_count", "status", "submitted_at", "reviewed_by")
    list_filter = ("status", "specialization")
    search_fields = ("=account_id",)
    ordering = ("status", "submitted_at")
    readonly_fields = (
        "account_id",
        "specialization",
        "documents_list",
        "comment",
        "status",
        "reason",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
    )
    exclude = ("documents",)
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("documents"))
    def document_count(self, obj: VerificationApplication) -> int:
        return len(obj.documents)

    @admin.display(description=_("documents"))
    def documents_list(self, obj: VerificationApplication) -> str:
        # Each document through a short-lived signed link: a thumbnail of an image, a link to a PDF.
        if not obj.documents:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            ((media_public.preview_html(media_id=media_id, ttl=DOCUMENT_LINK_TTL),) for media_id in obj.documents),
        )

    @admin.action(description=_("Approve selected applications (grants the executor role)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[VerificationApplication]) -> None:
        done = 0
        for application in queryset.filter(status=VerificationStatus.PENDING):
            verification.verification_review(application_id=application.pk, reviewer_id=request.user.pk, approve=True)
            done += 1
        self.message_user(
            request,
            ngettext("Approved %(count)d application.", "Approved %(count)d applications.", done) % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject selected applications…"))
    def reject(self, request: HttpRequest, queryset: QuerySet[VerificationApplication]):
        pending = list(queryset.filter(status=VerificationStatus.PENDING))
        form = VerificationReviewForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for application in pending:
                verification.verification_review(
                    application_id=application.pk,
                    reviewer_id=request.user.pk,
                    approve=False,
                    reason=form.cleaned_data["reason"],
                )
            count = len(pending)
            self.message_user(
                request,
                ngettext("Rejected %(count)d application.", "Rejected %(count)d applications.", count)
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/users/verificationapplication/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject applications"),
                "form": form,
                "applications": pending,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )
