"""A request's page: its record in read-only inlines, and the form of its details and a new comment.

The page writes in one place, :func:`page_write`, which ``RequestAdmin.save_model`` calls once the form and every
inline are valid, inside the admin's transaction. The form only validates; when a service refuses the change (a
stale version, a value the service will not take), ``RequestAdmin.changeform_view`` shows the page again with the
refusal beside its field, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError
from ukbot.media import public as media_public
from ukbot.requests import selectors, services
from ukbot.requests.admin.common import EDITABLE_FIELDS, error_text, thumbnail
from ukbot.requests.models import Attachment, Comment, Material, Request, StatusChange
from ukbot.requests.statuses import Actor
from ukbot.users import public as users_public

# where a refusal of comment_add names a field, and the page's field it belongs to
COMMENT_FIELDS = {"text": "comment_text", "internal": "comment_internal"}


class Refused(Exception):
    """A service refused the page's change; ``rename`` maps the fields the error names to the page's fields."""

    def __init__(self, error: AppError, *, rename: dict[str, str] | None = None) -> None:
        super().__init__(error.code)
        self.error, self.rename = error, rename or {}


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
        ids = selectors.history_of(number=obj.request_id).values_list("actor_id", flat=True)
        return self._person(obj.actor_id, ids)


class CommentInline(_ReadOnlyInline):
    model = Comment
    fields = ("created_at", "author", "author_kind", "internal", "text")
    readonly_fields = fields

    @admin.display(description=_("author"))
    def author(self, obj: Comment) -> str:
        ids = selectors.comments_for(number=obj.request_id, actor_kind=Actor.MANAGER).values_list(
            "author_id", flat=True
        )
        return self._person(obj.author_id, ids)


class MaterialInline(_ReadOnlyInline):
    model = Material
    fields = ("item", "quantity", "unit", "status", "reason")
    readonly_fields = fields


class AttachmentInline(_ReadOnlyInline):
    model = Attachment
    fields = ("kind", "file", "added_at")
    readonly_fields = fields

    class Media:
        css = {"all": (media_public.PREVIEW_CSS,)}

    @admin.display(description=_("file"))
    def file(self, obj: Attachment) -> str:
        return thumbnail(obj)


class RequestChangeForm(forms.ModelForm):
    """The details a manager may edit, and a comment to add. Only validates: :func:`page_write` writes."""

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

    # what the services refused when this page was sent a moment ago (RequestAdmin sets it for that one showing)
    refused: Refused | None = None

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

    def clean(self):
        cleaned = super().clean()
        if self.refused is not None:
            self._add_refusal(self.refused)
        return cleaned

    def _add_refusal(self, refused: Refused) -> None:
        placed = False
        for detail in refused.error.details:
            field = refused.rename.get(detail.field or "", detail.field)
            if field in self.fields:
                self.add_error(field, str(detail.message))
                placed = True
        if not placed:
            self.add_error(None, error_text(refused.error))


def page_write(form: RequestChangeForm, *, actor_id: int) -> None:
    """Write what a valid page asks for through the services: the changed details, then the new comment.

    Runs in the admin's transaction, so a refusal of either leaves nothing behind.

    :raises Refused: a service refused a change (RequestAdmin shows the page again with the reason).
    """
    number = form.instance.pk
    changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
    if changes:
        try:
            services.request_update(
                number=number,
                actor_kind=Actor.MANAGER,
                actor_id=actor_id,
                changes=changes,
                expected_version=form.cleaned_data.get("seen_version"),
            )
        except AppError as exc:
            raise Refused(exc) from exc
    text = form.cleaned_data.get("comment_text") or ""
    if text.strip():
        try:
            services.comment_add(
                number=number,
                author_id=actor_id,
                actor_kind=Actor.MANAGER,
                text=text,
                internal=bool(form.cleaned_data.get("comment_internal")),
            )
        except AppError as exc:
            raise Refused(exc, rename=COMMENT_FIELDS) from exc
