"""Admin for dispatchers: the request list they live in, each request's page, and the SLA and lifecycle settings.

Every change to a request goes through the services, so that the admin publishes the same events and writes the
same history as the API and the bot: details through ``request_update``, status through the state machine
(``request_move``), executors through ``request_move``/``request_reassign``, comments through ``comment_add`` and
material decisions through ``material_decide``. Names and addresses of people and buildings come from
``ukbot.users.public``; `requests` stores only their ids.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import islice

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.core.errors import AppError
from ukbot.media import public as media_public
from ukbot.requests import selectors, services, sla
from ukbot.requests.models import (
    Attachment,
    Comment,
    Material,
    MaterialStatus,
    Request,
    Settings,
    SlaPolicy,
    StatusChange,
)
from ukbot.requests.statuses import FINAL, NEEDS_REASON, Actor, Status, Urgency, allowed_moves
from ukbot.users import public as users_public

# The details a manager edits on a request's page; saved only through services.request_update.
EDITABLE_FIELDS = services.MANAGER_EDITABLE
URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.MEDIUM: 2, Urgency.LOW: 3}
CSV_CHUNK = 500
THUMBNAIL_TTL = 600  # seconds a thumbnail's signed link works: enough to look at the page


def _error_text(exc: AppError) -> str:
    """The error's message and the reasons it names (``Invalid input. reason: Say why.``)."""
    parts = [str(exc.message)]
    parts += [f"{d.field}: {d.message}" if d.field else str(d.message) for d in exc.details]
    return " ".join(parts)


def _names_of(obj: Request) -> dict[int, str]:
    """Names of the request's applicant and executor; the list fills them for a whole page at once."""
    names = getattr(obj, "_person_names", None)
    if names is None:
        ids = [obj.applicant_id] + ([obj.executor_id] if obj.executor_id else [])
        names = obj._person_names = users_public.person_names(account_ids=ids)
    return names


def _thumbnail(attachment: Attachment) -> str:
    """What the attachments inline shows of a file: an image through a short-lived signed link, a link to another
    file, or why there is none (deleted, waiting for its virus scan, quarantined)."""
    return media_public.preview_html(media_id=attachment.media_id, ttl=THUMBNAIL_TTL)


# --- the list ---------------------------------------------------------------------------------------------------


class RequestChangeList(ChangeList):
    """Looks up the names of a page's applicants and executors in one query, not one per row."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows = list(self.result_list)
        ids = {row.applicant_id for row in rows} | {row.executor_id for row in rows if row.executor_id}
        names = users_public.person_names(account_ids=ids)
        for row in rows:
            row._person_names = names
        self.result_list = rows


class BuildingFilter(admin.SimpleListFilter):
    title = _("building")
    parameter_name = "building"

    def lookups(self, request, model_admin):
        ids = list(
            Request.objects.exclude(building_id=None).order_by().values_list("building_id", flat=True).distinct()
        )
        labels = users_public.building_labels(building_ids=ids)
        return sorted(((str(pk), labels.get(pk, f"#{pk}")) for pk in ids), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(building_id=int(self.value()))
        return queryset


class ExecutorFilter(admin.SimpleListFilter):
    title = _("executor")
    parameter_name = "executor"
    NOBODY = "none"

    def lookups(self, request, model_admin):
        ids = list(
            Request.objects.exclude(executor_id=None).order_by().values_list("executor_id", flat=True).distinct()
        )
        names = users_public.person_names(account_ids=ids)
        people = sorted(((str(pk), names[pk]) for pk in ids), key=lambda choice: choice[1])
        return [(self.NOBODY, _("nobody yet")), *people]

    def queryset(self, request, queryset):
        if self.value() == self.NOBODY:
            return queryset.filter(executor_id=None)
        if self.value() and self.value().isdigit():
            return queryset.filter(executor_id=int(self.value()))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_overdue=self.value() == "yes")
        return queryset


# --- a request's page: read-only inlines and the form of details and a new comment --------------------------


class _ReadOnlyInline(admin.TabularInline):
    """Rows of a request's record; each is written by a service, never by an inline form."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Whoever may see a request sees its record.
        return request.user.has_perm("requests.view_request") or request.user.has_perm("requests.change_request")

    def _person(self, account_id: int | None, ids: Iterable[int | None]) -> str:
        # An inline instance serves one HTTP request, so it may remember the names of the rows it shows.
        if account_id is None:
            return "—"
        names = getattr(self, "_names", None)
        if names is None:
            names = self._names = users_public.person_names(account_ids={pk for pk in ids if pk is not None})
        return names.get(account_id, f"#{account_id}")


class StatusChangeInline(_ReadOnlyInline):
    model = StatusChange
    fields = ("at", "who", "actor_kind", "action", "from_status", "to_status", "reason")
    readonly_fields = fields
    verbose_name = _("history entry")
    verbose_name_plural = _("history")

    @admin.display(description=_("who"))
    def who(self, obj: StatusChange) -> str:
        ids = StatusChange.objects.filter(request_id=obj.request_id).values_list("actor_id", flat=True)
        return self._person(obj.actor_id, ids)


class CommentInline(_ReadOnlyInline):
    model = Comment
    fields = ("created_at", "author", "author_kind", "internal", "text")
    readonly_fields = fields

    @admin.display(description=_("author"))
    def author(self, obj: Comment) -> str:
        ids = Comment.objects.filter(request_id=obj.request_id).values_list("author_id", flat=True)
        return self._person(obj.author_id, ids)


class MaterialInline(_ReadOnlyInline):
    model = Material
    fields = ("item", "quantity", "unit", "status", "reason")
    readonly_fields = fields


class AttachmentInline(_ReadOnlyInline):
    model = Attachment
    fields = ("kind", "file", "added_at")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file(self, obj: Attachment) -> str:
        return _thumbnail(obj)


class RequestChangeForm(forms.ModelForm):
    """The details a manager may edit, and a comment to add; both are written by the services while the form is
    validated, so that their refusals show beside the fields (and RequestAdmin.changeform_view undoes the writes
    when the page comes back with errors)."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment_text = forms.CharField(
        label=_("new comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=services.MAX_DESCRIPTION,
        help_text=_("Added to the request when you save."),
    )
    comment_internal = forms.BooleanField(
        label=_("internal comment"), required=False, help_text=_("Staff only; the applicant never sees it.")
    )

    actor_id: int | None = None  # the signed-in manager; RequestAdmin.get_form sets it per HTTP request

    class Meta:
        model = Request
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("seen_version", self.instance.version)

    def clean_description(self) -> str:
        # Browsers send CRLF line breaks; stored text uses LF, so an untouched description is not a change.
        return (self.cleaned_data.get("description") or "").replace("\r\n", "\n")

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and not self._errors and self.instance.pk is not None:
            self._write()

    def _write(self) -> None:
        number = self.instance.pk
        changes = {name: self.cleaned_data[name] for name in self.changed_data if name in EDITABLE_FIELDS}
        if changes:
            try:
                services.request_update(
                    number=number,
                    actor_kind=Actor.MANAGER,
                    actor_id=self.actor_id,
                    changes=changes,
                    expected_version=self.cleaned_data.get("seen_version"),
                )
            except AppError as exc:
                self._add_app_error(exc)
                return
        text = self.cleaned_data.get("comment_text") or ""
        if text.strip():
            try:
                services.comment_add(
                    number=number,
                    author_id=self.actor_id,
                    actor_kind=Actor.MANAGER,
                    text=text,
                    internal=bool(self.cleaned_data.get("comment_internal")),
                )
            except AppError as exc:
                self._add_app_error(exc, rename={"text": "comment_text", "internal": "comment_internal"})

    def _add_app_error(self, exc: AppError, *, rename: dict[str, str] | None = None) -> None:
        rename = rename or {}
        placed = False
        for detail in exc.details:
            field = rename.get(detail.field or "", detail.field)
            if field in self.fields:
                self.add_error(field, str(detail.message))
                placed = True
        if not placed:
            self.add_error(None, _error_text(exc))


# --- action forms -----------------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    executor = forms.TypedChoiceField(label=_("executor"), coerce=int, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional; kept in the history when an executor is replaced."),
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["executor"].choices = choices


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("new status"))
    reason = forms.CharField(
        label=_("reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, targets: list[str], from_statuses: set[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(target, Status(target).label) for target in targets]
        self.from_statuses = from_statuses

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("to_status")
        needs = any((frm, target) in NEEDS_REASON for frm in self.from_statuses)
        if target and needs and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("This move needs a reason."))
        return cleaned


class MaterialRejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


def _action_page(model_admin: admin.ModelAdmin, request: HttpRequest, **context) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/requests/action_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            **context,
        },
    )


# --- CSV export -------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or CR) gets a ``'``."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


CSV_COLUMNS = (
    _("number"),
    _("created at"),
    _("status"),
    _("category"),
    _("urgency"),
    _("source"),
    _("applicant id"),
    _("applicant"),
    _("executor id"),
    _("executor"),
    _("address"),
    _("entrance"),
    _("floor"),
    _("contact phone"),
    _("description"),
    _("reaction deadline"),
    _("resolution deadline"),
    _("overdue"),
)


def _csv_rows(queryset: QuerySet[Request]) -> Iterator[list[object]]:
    yield [str(title) for title in CSV_COLUMNS]
    rows = queryset.iterator(chunk_size=CSV_CHUNK)
    while chunk := list(islice(rows, CSV_CHUNK)):
        ids = {r.applicant_id for r in chunk} | {r.executor_id for r in chunk if r.executor_id}
        names = users_public.person_names(account_ids=ids)
        for r in chunk:
            yield [
                r.number,
                _local(r.created_at),
                str(r.get_status_display()),
                str(r.get_category_display()),
                str(r.get_urgency_display()),
                str(r.get_source_display()),
                r.applicant_id,
                names[r.applicant_id],
                r.executor_id or "",
                names[r.executor_id] if r.executor_id else "",
                r.address,
                r.entrance,
                "" if r.floor is None else r.floor,
                r.contact_phone,
                r.description,
                _local(r.reaction_deadline),
                _local(r.resolution_deadline),
                str(_("yes") if r.is_overdue else _("no")),
            ]


def _csv_stream(queryset: QuerySet[Request]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte order mark, so that Excel reads the file as UTF-8 (Cyrillic addresses and names)
    for row in _csv_rows(queryset):
        yield writer.writerow([csv_safe(cell) for cell in row])


# --- requests ---------------------------------------------------------------------------------------------------


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    """The dispatcher's list and a request's page; every write goes through the services."""

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
    actions = ["assign_executor", "change_status", "export_csv"]
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
        return type(form.__name__, (form,), {"actor_id": request.user.pk})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and response.status_code == 200:
                # The page came back with errors: undo whatever the services wrote while its form was validated.
                transaction.set_rollback(True)
        return response

    def save_model(self, request: HttpRequest, obj: Request, form, change: bool) -> None:
        pass  # RequestChangeForm wrote the changes through the services while it was validated

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
        return _names_of(obj)[obj.applicant_id]

    @admin.display(description=_("executor"), ordering="executor_id")
    def executor(self, obj: Request) -> str:
        return _names_of(obj)[obj.executor_id] if obj.executor_id else "—"

    @admin.display(description=_("created by"))
    def created_by_name(self, obj: Request) -> str:
        if obj.created_by is None:
            return "—"
        return users_public.person_names(account_ids=[obj.created_by])[obj.created_by]

    # --- actions ---

    def _report(self, request: HttpRequest, done: int, message: str) -> None:
        if done:
            self.message_user(request, message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Assign an executor…"), permissions=["change"])
    def assign_executor(self, request: HttpRequest, queryset: QuerySet[Request]) -> TemplateResponse | None:
        chosen = list(queryset.order_by("day", "seq"))
        trades = {users_public.category_specialization(category=r.category) for r in chosen}
        if len(trades) != 1:
            self.message_user(
                request,
                _("The selected requests need different trades (%(trades)s); assign them one trade at a time.")
                % {"trades": ", ".join(sorted(trades))},
                messages.ERROR,
            )
            return None
        trade = trades.pop()
        ranked = selectors.executors_by_load(specialization=trade)
        if not ranked:
            self.message_user(request, _("No verified executor works as %(trade)s.") % {"trade": trade}, messages.ERROR)
            return None
        choices = [
            (
                c.account_id,
                _("%(name)s · %(trade)s, level %(level)d · open requests: %(load)d")
                % {"name": c.full_name, "trade": c.specialization, "level": c.level, "load": load},
            )
            for c, load in ranked
        ]
        form = AssignForm(request.POST if "apply" in request.POST else None, choices=choices)
        if not form.is_valid():
            return _action_page(
                self,
                request,
                title=_("Assign an executor"),
                intro=_(
                    "Choose who does the work; the list shows the verified executors of the trade, least busy first."
                ),
                items=[
                    {"pk": r.pk, "label": f"{r.number} · {r.get_category_display()} · {r.get_status_display()}"}
                    for r in chosen
                ],
                form=form,
                action="assign_executor",
                submit=_("Assign"),
            )
        executor_id, reason = form.cleaned_data["executor"], form.cleaned_data["reason"]
        done = 0
        for r in chosen:
            try:
                if r.status == Status.NEW:
                    services.request_move(
                        number=r.number,
                        to_status=Status.ASSIGNED,
                        actor_kind=Actor.MANAGER,
                        actor_id=request.user.pk,
                        executor_id=executor_id,
                        reason=reason,
                    )
                else:
                    services.request_reassign(
                        number=r.number, executor_id=executor_id, actor_id=request.user.pk, reason=reason
                    )
            except AppError as exc:
                self.message_user(request, f"{r.number}: {_error_text(exc)}", messages.WARNING)
            else:
                done += 1
        self._report(request, done, ngettext("Assigned %(count)d request.", "Assigned %(count)d requests.", done))
        return None

    @admin.action(description=_("Change the status…"), permissions=["change"])
    def change_status(self, request: HttpRequest, queryset: QuerySet[Request]) -> TemplateResponse | None:
        chosen = list(queryset.order_by("day", "seq"))
        pairs = {(r.status, r.status_before_clarification) for r in chosen}
        targets: set[str] | None = None
        for status, before in pairs:
            moves = set(allowed_moves(status, Actor.MANAGER, before_clarification=before or None))
            targets = moves if targets is None else targets & moves
        targets = targets or set()
        if any(status == Status.NEW for status, _before in pairs):
            targets.discard(Status.ASSIGNED)  # assigning names an executor: the "Assign an executor" action
        if not targets:
            self.message_user(
                request,
                _("No status change is allowed for all the selected requests; select requests in one status."),
                messages.ERROR,
            )
            return None
        form = StatusForm(
            request.POST if "apply" in request.POST else None,
            targets=sorted(targets, key=list(Status.values).index),
            from_statuses={status for status, _before in pairs},
        )
        if not form.is_valid():
            return _action_page(
                self,
                request,
                title=_("Change the status"),
                intro=_("The moves offered are those the state machine allows a manager from the selected statuses."),
                items=[{"pk": r.pk, "label": f"{r.number} · {r.get_status_display()}"} for r in chosen],
                form=form,
                action="change_status",
                submit=_("Change"),
            )
        to_status, reason = form.cleaned_data["to_status"], form.cleaned_data["reason"]
        done = 0
        for r in chosen:
            try:
                services.request_move(
                    number=r.number,
                    to_status=to_status,
                    actor_kind=Actor.MANAGER,
                    actor_id=request.user.pk,
                    reason=reason,
                    # only read for a move to assigned: returning from clarification to it keeps the executor
                    executor_id=r.executor_id,
                )
            except AppError as exc:
                self.message_user(request, f"{r.number}: {_error_text(exc)}", messages.WARNING)
            else:
                done += 1
        self._report(
            request,
            done,
            ngettext("Changed the status of %(count)d request.", "Changed the status of %(count)d requests.", done),
        )
        return None

    @admin.action(description=_("Export to CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Request]) -> StreamingHttpResponse:
        response = StreamingHttpResponse(_csv_stream(queryset), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="requests-{stamp}.csv"'
        return response


# --- materials --------------------------------------------------------------------------------------------------


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
                self.message_user(request, f"{material.request_id} · {material}: {_error_text(exc)}", messages.WARNING)
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
        return _action_page(
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


# --- service levels and lifecycle settings ----------------------------------------------------------------------


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
