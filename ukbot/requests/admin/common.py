"""What the request admin's pages and actions share: names, thumbnails, error texts, and the action forms."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError
from ukbot.media import public as media_public
from ukbot.requests import services
from ukbot.requests.models import Attachment, Request
from ukbot.requests.statuses import NEEDS_REASON, Status, Urgency
from ukbot.users import public as users_public

# The details a manager edits on a request's page; saved only through services.request_update.
EDITABLE_FIELDS = services.MANAGER_EDITABLE
URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.MEDIUM: 2, Urgency.LOW: 3}
THUMBNAIL_TTL = 600  # seconds a thumbnail's signed link works: enough to look at the page


def error_text(exc: AppError) -> str:
    """The error's message and the reasons it names (``Invalid input. reason: Say why.``)."""
    parts = [str(exc.message)]
    parts += [f"{d.field}: {d.message}" if d.field else str(d.message) for d in exc.details]
    return " ".join(parts)


def names_of(obj: Request) -> dict[int, str]:
    """Names of the request's applicant and executor; the list fills them for a whole page at once."""
    names = getattr(obj, "_person_names", None)
    if names is None:
        ids = [obj.applicant_id] + ([obj.executor_id] if obj.executor_id else [])
        names = obj._person_names = users_public.person_names(account_ids=ids)
    return names


def thumbnail(attachment: Attachment) -> str:
    """What the attachments inline shows of a file: an image through a short-lived signed link, a link to another
    file, or why there is none (deleted, waiting for its virus scan, quarantined)."""
    return media_public.preview_html(media_id=attachment.media_id, ttl=THUMBNAIL_TTL)


def action_page(model_admin: admin.ModelAdmin, request: HttpRequest, **context) -> TemplateResponse:
    """The intermediate page of an action that asks for more (an executor, a status, a reason)."""
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
        # the state machine's table of moves that need a reason, asked here so the manager can add one at once
        needs = any((frm, target) in NEEDS_REASON for frm in self.from_statuses)
        if target and needs and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("This move needs a reason."))
        return cleaned


class MaterialRejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
