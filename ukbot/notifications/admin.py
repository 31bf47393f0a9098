"""Admin of `notifications`: templates with their variables and a preview, and read-only history for operators.

Templates are checked on save as the API checks them (unknown variables, tags Telegram cannot show, bad buttons);
the preview renders the saved template with sample values in its language, shown as the raw Telegram HTML.
Messages, attempts and bulk sends are records of what happened: operators read them, nobody edits them here.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ValidationFailedError
from ukbot.notifications import templates
from ukbot.notifications.defaults import TemplateSource
from ukbot.notifications.models import BulkJob, DeliveryAttempt, Notification, Preference, Template


class TemplateForm(forms.ModelForm):
    event_type = forms.ChoiceField(label=_("kind of message"), choices=[(kind, kind) for kind in templates.kinds()])

    class Meta:
        model = Template
        fields = ("event_type", "channel", "language", "title", "body", "buttons")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            templates.validate(
                kind=cleaned["event_type"],
                channel=cleaned["channel"],
                title=cleaned.get("title") or "",
                body=cleaned.get("body") or "",
                buttons=cleaned.get("buttons") or [],
            )
        except ValidationFailedError as exc:
            errors: dict[str, list[str]] = {}
            for detail in exc.details:
                field = (detail.field or "").split("[", 1)[0] or None
                field = field if field in self.fields else None
                errors.setdefault(field, []).append(detail.message)
            raise ValidationError(errors) from None
        return cleaned


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ("event_type", "channel", "language", "title", "updated_at")
    list_filter = ("channel", "language", "event_type")
    search_fields = ("event_type", "title", "body")
    readonly_fields = ("variables", "preview", "updated_by", "updated_at")
    fieldsets = (
        (None, {"fields": ("event_type", "channel", "language")}),
        (_("Text"), {"fields": ("title", "body", "buttons", "variables")}),
        (_("Preview with sample values"), {"fields": ("preview",)}),
        (None, {"fields": ("updated_by", "updated_at")}),
    )

    class Media:
        css = {"all": ("notifications/admin.css",)}  # the preview's class (no inline styles: decision 0025)

    @admin.display(description=_("variables"))
    def variables(self, obj: Template) -> str:
        names = templates.variables_of(obj.event_type) if obj.pk else ()
        return ", ".join(f"{{{name}}}" for name in names) or "—"

    @admin.display(description=_("preview"))
    def preview(self, obj: Template) -> str:
        if not obj.pk:
            return _("Save the template to see it with sample values.")
        source = TemplateSource(title=obj.title, body=obj.body, buttons=tuple(tuple(row) for row in obj.buttons or ()))
        samples = {name: templates.defaults.SAMPLES.get(name, name) for name in templates.variables_of(obj.event_type)}
        rendered = templates.render_source(source, kind=obj.event_type, channel=obj.channel, variables=samples)
        buttons = format_html_join(
            " ", "<code>[{}]</code>", ((button["text"],) for row in rendered.buttons for button in row)
        )
        return format_html(
            '<div><strong>{}</strong></div><pre class="ukbot-template-preview">{}</pre><div>{}</div>',
            rendered.title,
            rendered.text,
            buttons,
        )

    def save_model(self, request: HttpRequest, obj: Template, form, change: bool) -> None:
        obj.updated_by = request.user.pk
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "outcome", "status_code", "error", "retry_after", "started_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account_id", "channel", "event_type", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "urgent", "event_type")
    search_fields = ("=account_id", "subject", "title", "text")
    date_hierarchy = "created_at"
    inlines = (DeliveryAttemptInline,)
    list_select_related = False
    show_full_result_count = False  # the history grows large; counting it on every page is slow


@admin.register(BulkJob)
class BulkJobAdmin(ReadOnlyAdmin):
    list_display = ("pk", "created_at", "audience_label", "channel", "status", "total", "queued", "skipped")
    list_filter = ("status", "channel")
    readonly_fields = ("message_text",)

    @admin.display(description=_("message"))
    def message_text(self, obj: BulkJob) -> str:
        return json.dumps(obj.message, ensure_ascii=False, indent=1)


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ("account_id", "time_zone", "quiet_from", "quiet_to", "follow_all")
    search_fields = ("=account_id",)
