"""Admin for dispatchers: people with roles and specializations, block/unblock, and the place tree.

Changes to people go through the services, so that the admin publishes the same events as the API and the bot
(`auth` re-issues tokens on ``user.role_changed``); the place tree has no events and uses plain model forms.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.postgres.aggregates import ArrayAgg
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
    Apartment,
    ApartmentLink,
    ApartmentLinkStatus,
    Building,
    Entrance,
    Invitation,
    Profile,
    RoleGrant,
    Specialization,
    VerificationApplication,
    VerificationStatus,
    Yard,
)
from ukbot.users.roles import Role, ranked
from ukbot.users.services import invitations, verification

DOCUMENT_LINK_TTL = 600  # seconds a document's signed link works: enough to review the application

# --- people ----------------------------------------------------------------------------------------------------


class ProfileForm(forms.ModelForm):
    # Longer than the stored 16 so that "+998 (90) 123-45-67" reaches clean_phone; the model checks the result.
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)

    class Meta:
        model = Profile
        fields = ("account_id", "first_name", "last_name", "phone", "language", "avatar_media_id", "bio", "settings")

    def clean_phone(self) -> str:
        return services.phone_normalise(self.cleaned_data["phone"])


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fields = ("role", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")
    extra = 0


class SpecializationInline(admin.TabularInline):
    model = Specialization
    fields = ("key", "level")
    extra = 0


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(role_grants__role=self.value())
        return queryset


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    form = ProfileForm
    list_display = ("account_id", "first_name", "last_name", "phone", "roles", "active_role", "status", "created_at")
    list_display_links = ("account_id", "first_name", "last_name")
    list_filter = ("status", RoleFilter, "active_role", "language")
    search_fields = ("first_name", "last_name", "phone", "=account_id")
    readonly_fields = ("active_role", "status", "created_at", "updated_at")
    inlines = [RoleGrantInline, SpecializationInline]
    actions = ["block", "unblock", "approve"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Profile]:
        return super().get_queryset(request).annotate(role_names=ArrayAgg("role_grants__role", distinct=True))

    def get_readonly_fields(self, request: HttpRequest, obj: Profile | None = None) -> tuple[str, ...]:
        # The account a profile belongs to never changes.
        return (*self.readonly_fields, "account_id") if obj else self.readonly_fields

    @admin.display(description=_("roles"))
    def roles(self, obj: Profile) -> str:
        return ", ".join(str(Role(name).label) for name in ranked(obj.role_names))

    def save_model(self, request: HttpRequest, obj: Profile, form: forms.ModelForm, change: bool) -> None:
        if not change:
            created = services.profile_create(
                account_id=obj.account_id,
                first_name=obj.first_name,
                last_name=obj.last_name,
                phone=obj.phone,
                language=obj.language,
            )
            fields = {name: getattr(obj, name) for name in ("avatar_media_id", "bio", "settings")}
            created = services.profile_update(account_id=obj.account_id, **fields)
            obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db
            return
        fields = {name: getattr(obj, name) for name in form.changed_data if name in services.PROFILE_UPDATABLE_FIELDS}
        if fields:
            services.profile_update(account_id=obj.account_id, **fields)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset, change: bool) -> None:
        # commit=False fills new/changed/deleted_objects, which the admin's change message reads; the services
        # do the writing.
        formset.save(commit=False)
        account_id = form.instance.account_id
        if formset.model is RoleGrant:
            for grant in formset.deleted_objects:
                services.role_revoke(account_id=account_id, role=grant.role, revoked_by=request.user.pk)
            for inline_form in formset.forms:
                if inline_form.instance in formset.deleted_objects or not inline_form.has_changed():
                    continue
                if inline_form.instance.pk is not None and "role" in inline_form.changed_data:
                    services.role_revoke(
                        account_id=account_id, role=inline_form.initial["role"], revoked_by=request.user.pk
                    )
                services.role_grant(
                    account_id=account_id, role=inline_form.cleaned_data["role"], granted_by=request.user.pk
                )
        elif formset.model is Specialization:
            for specialization in formset.deleted_objects:
                services.specialization_remove(account_id=account_id, key=specialization.key)
            for inline_form in formset.forms:
                if inline_form.instance in formset.deleted_objects or not inline_form.has_changed():
                    continue
                if inline_form.instance.pk is not None and "key" in inline_form.changed_data:
                    services.specialization_remove(account_id=account_id, key=inline_form.initial["key"])
                services.specialization_set(
                    account_id=account_id,
                    key=inline_form.cleaned_data["key"],
                    level=inline_form.cleaned_data["level"],
                )
        else:  # pragma: no cover - every inline of this admin is handled above
            formset.save()

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Profile], service, done: str) -> None:
        account_ids = list(queryset.values_list("account_id", flat=True))
        for account_id in account_ids:
            service(account_id=account_id)
        self.message_user(request, done % {"count": len(account_ids)}, messages.SUCCESS)

    @admin.action(description=_("Block the selected people"))
    def block(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        count = queryset.count()
        self._set_status(
            request,
            queryset,
            services.profile_block,
            ngettext("Blocked %(count)d person.", "Blocked %(count)d people.", count),
        )

    @admin.action(description=_("Unblock the selected people"))
    def unblock(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        count = queryset.count()
        self._set_status(
            request,
            queryset,
            services.profile_unblock,
            ngettext("Unblocked %(count)d person.", "Unblocked %(count)d people.", count),
        )

    @admin.action(description=_("Approve the selected people"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        count = queryset.count()
        self._set_status(
            request,
            queryset,
            services.profile_approve,
            ngettext("Approved %(count)d person.", "Approved %(count)d people.", count),
        )


class _ReadOnlyAdmin(admin.ModelAdmin):
    """A list to search and filter; changes are made on the person's page, where they go through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(RoleGrant)
class RoleGrantAdmin(_ReadOnlyAdmin):
    list_display = ("profile", "role", "granted_by", "granted_at")
    list_filter = ("role",)
    search_fields = ("=profile__account_id", "profile__first_name", "profile__last_name", "profile__phone")
    list_select_related = ("profile",)


@admin.register(Specialization)
class SpecializationAdmin(_ReadOnlyAdmin):
    list_display = ("profile", "key", "level")
    list_filter = ("key", "level")
    search_fields = ("=profile__account_id", "profile__first_name", "profile__last_name", "profile__phone")
    list_select_related = ("profile",)


# --- places ----------------------------------------------------------------------------------------------------


class BuildingInline(admin.TabularInline):
    model = Building
    fields = ("address", "latitude", "longitude")
    extra = 0
    show_change_link = True


class EntranceInline(admin.TabularInline):
    model = Entrance
    fields = ("number",)
    extra = 0
    show_change_link = True


class ApartmentInline(admin.TabularInline):
    model = Apartment
    fields = ("number", "floor")
    extra = 0


@admin.register(Yard)
class YardAdmin(admin.ModelAdmin):
    list_display = ("name", "address")
    search_fields = ("name", "address")
    inlines = [BuildingInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("address", "yard", "latitude", "longitude")
    list_filter = ("yard",)
    search_fields = ("address", "yard__name")
    list_select_related = ("yard",)
    inlines = [EntranceInline]


@admin.register(Entrance)
class EntranceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "building", "number")
    list_filter = ("building__yard",)
    search_fields = ("building__address",)
    list_select_related = ("building",)
    inlines = [ApartmentInline]


@admin.register(Apartment)
class ApartmentAdmin(admin.ModelAdmin):
    list_display = ("number", "floor", "entrance", "building")
    list_filter = ("entrance__building__yard",)
    search_fields = ("number", "entrance__building__address")
    list_select_related = ("entrance__building",)

    @admin.display(description=_("building"), ordering="entrance__building__address")
    def building(self, obj: Apartment) -> Building:
        return obj.entrance.building


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
