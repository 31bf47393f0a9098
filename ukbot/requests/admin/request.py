"""The requests in the admin: the dispatcher's list (:mod:`.listing`, :mod:`.actions`) and each request's page
(:mod:`.page`). Every change goes through the services, so the admin publishes the same events and writes the same
history as the API and the bot."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import BooleanField, Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ukbot.core.audit import AuditedAdmin
from ukbot.requests import sla
from ukbot.requests.admin import actions
from ukbot.requests.admin.common import EDITABLE_FIELDS, URGENCY_RANK, names_of
from ukbot.requests.admin.listing import BuildingFilter, ExecutorFilter, OverdueFilter, RequestChangeList
from ukbot.requests.admin.page import (
    AttachmentInline,
    CommentInline,
    MaterialInline,
    Refused,
    RequestChangeForm,
    StatusChangeInline,
    page_write,
)
from ukbot.requests.models import Request
from ukbot.requests.statuses import FINAL
from ukbot.users import public as users_public

_REFUSED = "_ukbot_requests_refused"  # the attribute of the HTTP request that carries a refusal to its second showing


@admin.register(Request)
class RequestAdmin(AuditedAdmin, admin.ModelAdmin):
    """The dispatcher's list and a request's page; every write goes through the services, and every change of the
    page is in the audit log with its old and new values."""

    audit_exclude = ("version",)  # grows with every write: the fields that changed say what happened

    form = RequestChangeForm
    list_display = (
        "number",
        "created_at",
        "status",
        "category",
        "urgency_badge",
        "applicant",
        "executor",
        "address",
        "overdue_badge",
        "reaction_deadline",
        "resolution_deadline",
    )
    list_filter = (
        "status",
        "category",
        "urgency",
        "source",
        BuildingFilter,
        ExecutorFilter,
        OverdueFilter,
    )
    search_fields = ("number", "contact_phone", "address", "description")
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False  # one COUNT over the filtered list is enough on a big table
    actions = [actions.assign_executor, actions.change_status, actions.export_csv]
    fieldsets = (
        (
            None,
            {"fields": ("number", "status", "applicant", "executor", "source", "created_by_name", "created_at")},
        ),
        (_("Details"), {"fields": EDITABLE_FIELDS}),
        (_("Add a comment"), {"fields": ("comment_text", "comment_internal", "seen_version")}),
        (
            _("Deadlines"),
            {
                "fields": (
                    "overdue_badge",
                    "reaction_deadline",
                    "resolution_deadline",
                    "reaction_breached_at",
                    "resolution_breached_at",
                )
            },
        ),
        (
            _("Progress"),
            {
                "fields": (
                    "assigned_at",
                    "started_at",
                    "completed_at",
                    "confirmed_at",
                    "closed_at",
                    "status_before_clarification",
                    "rating",
                    "feedback",
                )
            },
        ),
        (
            _("Place and record"),
            {
                "classes": ("collapse",),
                "fields": ("building_id", "yard_id", "apartment_id", "duplicate_of", "version"),
            },
        ),
    )
    readonly_fields = (
        "number",
        "status",
        "applicant",
        "executor",
        "source",
        "created_by_name",
        "created_at",
        "overdue_badge",
        "reaction_deadline",
        "resolution_deadline",
        "reaction_breached_at",
        "resolution_breached_at",
        "assigned_at",
        "started_at",
        "completed_at",
        "confirmed_at",
        "closed_at",
        "status_before_clarification",
        "rating",
        "feedback",
        "building_id",
        "yard_id",
        "apartment_id",
        "duplicate_of",
        "version",
    )
    inlines = [StatusChangeInline, CommentInline, MaterialInline, AttachmentInline]

    class Media:
        css = {"all": ("requests/admin.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Request]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                is_overdue=Case(
                    When(sla.overdue_q(now=timezone.now()), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                urgency_rank=Case(
                    *(When(urgency=key, then=Value(rank)) for key, rank in URGENCY_RANK.items()),
                    output_field=IntegerField(),
                ),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs):
        return RequestChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # managers file phoned-in requests through the API (services.request_create)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a request is cancelled, never deleted

    def get_readonly_fields(self, request: HttpRequest, obj: Request | None = None) -> tuple[str, ...]:
        if obj is not None and obj.status in FINAL:
            return (*self.readonly_fields, *EDITABLE_FIELDS)  # a closed request's details are history
        return self.readonly_fields

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refused = getattr(request, _REFUSED, None)
        return type(form.__name__, (form,), {"refused": refused}) if refused is not None else form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            # save_model's services refused the change and the admin's transaction rolled back: show the page
            # again with what was sent and the reason beside its field (this showing writes nothing: the form
            # carries the refusal as an error, so it is not valid).
            setattr(request, _REFUSED, refused)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Request, form, change: bool) -> None:
        page_write(form, actor_id=request.user.pk)  # the page's one write; see ukbot.requests.admin.page

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # The inlines are read-only (the services write history, comments, materials and attachments); commit=False
        # saves nothing and fills the lists the admin's change message reads.
        formset.save(commit=False)

    # --- columns ---

    @admin.display(description=_("urgency"), ordering="urgency_rank")
    def urgency_badge(self, obj: Request) -> str:
        return format_html(
            '<span class="ukbot-badge ukbot-urgency-{}">{}</span>', obj.urgency, obj.get_urgency_display()
        )

    @admin.display(description=_("overdue"), ordering="is_overdue")
    def overdue_badge(self, obj: Request) -> str:
        if getattr(obj, "is_overdue", False):
            return format_html('<span class="ukbot-badge ukbot-overdue">{}</span>', _("overdue"))
        return ""

    @admin.display(description=_("applicant"), ordering="applicant_id")
    def applicant(self, obj: Request) -> str:
        return names_of(obj)[obj.applicant_id]

    @admin.display(description=_("executor"), ordering="executor_id")
    def executor(self, obj: Request) -> str:
        return names_of(obj)[obj.executor_id] if obj.executor_id else "—"

    @admin.display(description=_("created by"))
    def created_by_name(self, obj: Request) -> str:
        if obj.created_by is None:
            return "—"
        return users_public.person_names(account_ids=[obj.created_by])[obj.created_by]
