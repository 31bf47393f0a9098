"""People: a person's page (profile, roles, specializations) with block, unblock and approve, and read-only lists
of role grants and specializations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.core.audit import AuditedAdmin
from ukbot.core.errors import AppError
from ukbot.users import services
from ukbot.users.models import Profile, RoleGrant, Specialization
from ukbot.users.roles import Role, ranked


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
class ProfileAdmin(AuditedAdmin, admin.ModelAdmin):
    """A person's page; the audit log keeps each change with its old and new values, roles and specializations
    included."""

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

    def audit_snapshot(self, obj: Profile) -> dict[str, Any]:
        values = super().audit_snapshot(obj)
        values["roles"] = ranked(list(obj.role_grants.values_list("role", flat=True)))
        values["specializations"] = dict(obj.specializations.order_by("key").values_list("key", "level"))
        return values

    @admin.display(description=_("roles"))
    def roles(self, obj: Profile) -> str:
        return ", ".join(str(Role(name).label) for name in ranked(obj.role_names))

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AppError as refused:
            # A service refused the change (a role granted to oneself, say): the admin's transaction rolled back,
            # so nothing was saved; say why and show the page as it is.
            reasons = [str(refused.message), *(str(d.message) for d in refused.details)]
            self.message_user(request, " ".join(reasons), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

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
        people = list(queryset)
        for person in people:
            before = self.audit_snapshot(person)
            with transaction.atomic():
                service(account_id=person.account_id)
                self.audit_change(request, person, before)
        self.message_user(request, done % {"count": len(people)}, messages.SUCCESS)

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
