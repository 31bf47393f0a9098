"""`/api/v1/notifications…`: sends and bulk sends, templates, history and the caller's preferences.

Sends, bulk sends, templates and other people's history need ``admin:notifications`` (managers and admins);
everybody reads their own history and edits their own preferences.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.filters import ChoiceFilter, DateTimeFilter
from ukbot.core.api.permissions import has_scope
from ukbot.core.api.serializers import ClockTimeField, StrictSerializer
from ukbot.core.api.throttling import BULK_NOTIFICATIONS
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import NotFoundError, PermissionDeniedError
from ukbot.notifications import selectors, services, templates
from ukbot.notifications.models import Channel, Language, Notification

ADMIN = "admin:notifications"


def _require_admin(request) -> None:
    if not has_scope(request, ADMIN):
        raise PermissionDeniedError()


@extend_schema_field({"type": "string", "description": "One of: " + ", ".join(Channel.values) + "."})
class ChannelField(serializers.ChoiceField):
    """A channel name. Described in words, not as an enum: drf-spectacular names enums by field, and the consent
    API's ``channel`` has other choices (an override would live in settings)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Channel.choices, **kwargs)


# --- sends -------------------------------------------------------------------------------------------------------


class MessageInput(StrictSerializer):
    channel = ChannelField(default=Channel.TELEGRAM)
    text = serializers.CharField(
        required=False, max_length=4000, help_text="Typed text, shown as written (no markup). Or a template:"
    )
    title = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    template = serializers.CharField(required=False, help_text="A kind of message, e.g. request.status_changed.")
    variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000), required=False, default=dict
    )
    urgent = serializers.BooleanField(default=False, help_text="Ignore the recipients' quiet hours.")


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account_id = serializers.IntegerField()
    channel = serializers.CharField()
    event_type = serializers.CharField()
    subject = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    buttons = serializers.JSONField()
    language = serializers.CharField()
    urgent = serializers.BooleanField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    not_before = serializers.DateTimeField(allow_null=True)
    bulk_job_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class SendOutput(serializers.Serializer):
    queued = serializers.BooleanField(help_text="False when the person has the channel switched off.")
    notification = NotificationOutput(allow_null=True)


def _message(data: dict) -> dict:
    return {
        "channel": data["channel"],
        "text": data.get("text"),
        "title": data.get("title", ""),
        "template": data.get("template"),
        "variables": data.get("variables") or None,
        "urgent": data["urgent"],
    }


class NotificationSendApi(Api):
    # One person at a time: a dispatcher's everyday reply, under the per-account limit only (decision 0023).
    permission_classes = (IsAuthenticated,)
    error_statuses = (404,)  # no such person

    class InputSerializer(MessageInput):
        account_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        summary="Send one person a message now: typed text, or a template with variables in their language "
        "(managers and admins)",
        request=InputSerializer,
        responses={202: SendOutput},
        examples=[
            OpenApiExample("text", value={"account_id": 42, "text": "The water is back on in your building."}),
            OpenApiExample(
                "template",
                value={
                    "account_id": 42,
                    "template": "request.status_changed",
                    "variables": {"number": "260115-007", "status": "in progress", "reason": ""},
                },
            ),
        ],
    )
    def post(self, request):
        _require_admin(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.notification_send(
            sender_id=request.user.pk, account_id=data.validated_data["account_id"], **_message(data.validated_data)
        )
        return Response(SendOutput({"queued": row is not None, "notification": row}).data, status=202)


class BulkJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    audience = serializers.JSONField()
    audience_label = serializers.CharField()
    channel = serializers.CharField()
    total = serializers.IntegerField(help_text="Recipients.")
    queued = serializers.IntegerField(help_text="Messages queued so far.")
    skipped = serializers.IntegerField(help_text="Recipients with the channel off (or queued by an earlier run).")
    progress = serializers.SerializerMethodField(help_text="Share of recipients handled, 0 to 1.")
    delivery = serializers.SerializerMethodField(help_text="Queued messages by delivery status.")
    error = serializers.CharField()
    created_by = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, job) -> float:
        return 1.0 if not job.total else round(min(1.0, (job.queued + job.skipped) / job.total), 4)

    def get_delivery(self, job) -> dict[str, int]:
        return selectors.bulk_job_delivery(job_id=job.pk)


class BulkSendApi(Api):
    rate_buckets = (BULK_NOTIFICATIONS,)
    permission_classes = (IsAuthenticated,)

    class InputSerializer(MessageInput):
        audience = serializers.JSONField(
            help_text='One of {"role": "executor"}, {"building_id": 7} (its residents) or {"account_ids": [1, 2]}.'
        )

    @extend_schema(
        summary="Send a message to a role, a building's residents or a list of people; queued in batches, answered "
        "with the job to follow (managers and admins)",
        request=InputSerializer,
        responses={202: BulkJobOutput},
        examples=[
            OpenApiExample(
                "building",
                value={"audience": {"building_id": 7}, "text": "Hot water is off on Friday 10:00–14:00."},
            ),
            OpenApiExample(
                "role",
                value={"audience": {"role": "executor"}, "text": "Staff meeting at 9:00.", "channel": "telegram"},
            ),
        ],
    )
    def post(self, request):
        _require_admin(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.bulk_job_create(
            created_by=request.user.pk, audience=data.validated_data["audience"], **_message(data.validated_data)
        )
        return Response(BulkJobOutput(job).data, status=202)


class BulkJobDetailApi(Api):
    permission_classes = (IsAuthenticated,)

    @extend_schema(summary="A bulk send's progress (managers and admins)", responses={200: BulkJobOutput})
    def get(self, request, job_id: int):
        _require_admin(request)
        job = selectors.bulk_job_get(job_id=job_id)
        if job is None:
            raise NotFoundError()
        return Response(BulkJobOutput(job).data)


# --- templates ---------------------------------------------------------------------------------------------------


class TemplateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event_type = serializers.CharField()
    channel = serializers.CharField()
    language = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    buttons = serializers.JSONField()
    variables = serializers.SerializerMethodField(help_text="The names this kind of message may use.")
    updated_by = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_variables(self, template) -> list[str]:
        return list(templates.variables_of(template.event_type))


class TemplateFilter(django_filters.FilterSet):
    event_type = django_filters.CharFilter()
    channel = ChoiceFilter(choices=Channel.choices)
    language = ChoiceFilter(choices=Language.choices)


_BUTTONS_HELP = 'Rows of {"text": …, "callback_data": …} or {"text": …, "url": …}; strings may use the variables.'


class TemplateListApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = TemplateOutput
    error_statuses = {"POST": (409,)}  # a template for that event, channel and language exists
    filterset_class = TemplateFilter
    search_fields = ("event_type", "title", "body")
    ordering_fields = ("event_type", "channel", "language", "updated_at")
    ordering = ("event_type", "channel", "language")

    class InputSerializer(StrictSerializer):
        event_type = serializers.ChoiceField(choices=templates.kinds())
        channel = ChannelField()
        language = serializers.ChoiceField(choices=Language.choices)
        title = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
        body = serializers.CharField(max_length=4096)
        buttons = serializers.JSONField(required=False, default=list, help_text=_BUTTONS_HELP)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.template_list().none()
        _require_admin(self.request)
        return selectors.template_list()

    @extend_schema(summary="Saved templates with the variables each may use (managers and admins)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a template for a kind of message, channel and language; unknown variables are refused "
        "(managers and admins)",
        request=InputSerializer,
        responses={201: TemplateOutput},
        examples=[
            OpenApiExample(
                "sms",
                value={
                    "event_type": "request.assigned",
                    "channel": "sms",
                    "language": "ru",
                    "body": "Вам назначена заявка {number}: {address}",
                },
            )
        ],
    )
    def post(self, request):
        _require_admin(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.template_create(actor_id=request.user.pk, **data.validated_data)
        return Response(TemplateOutput(template).data, status=201)


class TemplateDetailApi(Api):
    permission_classes = (IsAuthenticated,)

    class InputSerializer(StrictSerializer):
        title = serializers.CharField(max_length=200, required=False, allow_blank=True)
        body = serializers.CharField(max_length=4096, required=False)
        buttons = serializers.JSONField(required=False, help_text=_BUTTONS_HELP)

    def _get(self, request, template_id: int):
        _require_admin(request)
        template = selectors.template_get(template_id=template_id)
        if template is None:
            raise NotFoundError()
        return template

    @extend_schema(summary="A template (managers and admins)", responses={200: TemplateOutput})
    def get(self, request, template_id: int):
        return Response(TemplateOutput(self._get(request, template_id)).data)

    def _update(self, request, template_id: int, *, partial: bool):
        self._get(request, template_id)
        data = self.InputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        template = services.template_update(template_id=template_id, actor_id=request.user.pk, **data.validated_data)
        return Response(TemplateOutput(template).data)

    @extend_schema(
        summary="Change a template's title, text or buttons; checked as on creation (managers and admins)",
        request=InputSerializer,
        responses={200: TemplateOutput},
        examples=[OpenApiExample("text", value={"body": "Заявка <b>{number}</b>: {status}.\n{reason}"})],
    )
    def patch(self, request, template_id: int):
        return self._update(request, template_id, partial=True)

    @extend_schema(
        summary="Replace a template's title, text and buttons (managers and admins)",
        request=InputSerializer,
        responses={200: TemplateOutput},
        examples=[
            OpenApiExample(
                "whole",
                value={
                    "title": "Заявка {number}",
                    "body": "Заявка <b>{number}</b>: {status}.",
                    "buttons": [[{"text": "Открыть", "callback_data": "req:open:{number}"}]],
                },
            )
        ],
    )
    def put(self, request, template_id: int):
        return self._update(request, template_id, partial=False)


class TemplatePreviewApi(Api):
    permission_classes = (IsAuthenticated,)

    class InputSerializer(TemplateListApi.InputSerializer):
        language = serializers.ChoiceField(choices=Language.choices, required=False)

    class OutputSerializer(serializers.Serializer):
        title = serializers.CharField()
        text = serializers.CharField()
        buttons = serializers.JSONField()

    @extend_schema(
        summary="Render an unsaved template with sample values, checking it as a save would (managers and admins)",
        request=InputSerializer,
        responses={200: OutputSerializer},
        examples=[
            OpenApiExample(
                "preview",
                value={"event_type": "request.created", "channel": "telegram", "body": "Заявка <b>{number}</b>"},
            )
        ],
    )
    def post(self, request):
        _require_admin(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        rendered = templates.preview(
            kind=fields["event_type"],
            channel=fields["channel"],
            title=fields["title"],
            body=fields["body"],
            buttons=fields["buttons"],
        )
        return Response({"title": rendered.title, "text": rendered.text, "buttons": rendered.buttons_json()})


# --- history and preferences -------------------------------------------------------------------------------------


class HistoryFilter(django_filters.FilterSet):
    channel = ChoiceFilter(choices=Channel.choices)
    status = django_filters.MultipleChoiceFilter(choices=Notification.Status.choices)
    event_type = django_filters.CharFilter()
    subject = django_filters.CharFilter()
    created_from = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_to = DateTimeFilter(field_name="created_at", lookup_expr="lt")


class NotificationHistoryApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = NotificationOutput
    filterset_class = HistoryFilter
    search_fields = ("title", "text", "subject")
    ordering_fields = ("created_at", "sent_at", "status")
    ordering = ("-created_at", "-pk")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.history_of(account_id=0).none()
        wanted = self.request.query_params.get("account_id")
        if wanted in (None, ""):
            return selectors.history_of(account_id=self.request.user.pk)
        try:
            account_id = int(wanted)
        except ValueError:
            raise NotFoundError() from None
        if account_id != self.request.user.pk:
            _require_admin(self.request)
        return selectors.history_of(account_id=account_id)

    @extend_schema(
        summary="Messages sent to the caller, newest first; managers and admins read anyone's (account_id)",
        parameters=[OpenApiParameter("account_id", int, description="Whose history (admin:notifications)")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


_PROGRESS_HELP = (
    "Progress of the caller's requests: an executor assigned or changed, work started, reported done or sent back. "
    "Questions for them, work to accept or return and cancellations always come."
)


class PreferenceMessagesInput(StrictSerializer):
    progress = serializers.BooleanField(required=False, help_text=_PROGRESS_HELP)


class PreferenceMessagesOutput(serializers.Serializer):
    progress = serializers.BooleanField(help_text=_PROGRESS_HELP)


class PreferenceOutput(serializers.Serializer):
    channels = serializers.DictField(child=serializers.BooleanField(), help_text="Channel → on/off.")
    time_zone = serializers.CharField()
    quiet_from = ClockTimeField(allow_null=True)
    quiet_to = ClockTimeField(allow_null=True)
    follow_all = serializers.BooleanField()
    messages = PreferenceMessagesOutput(help_text="Groups of messages the caller may turn off → on/off.")


class NotificationPreferencesApi(Api):
    permission_classes = (IsAuthenticated,)

    class InputSerializer(StrictSerializer):
        channels = serializers.DictField(child=serializers.BooleanField(), required=False)
        time_zone = serializers.CharField(required=False, max_length=64, help_text="IANA, e.g. Asia/Tashkent.")
        quiet_from = ClockTimeField(required=False, allow_null=True)
        quiet_to = ClockTimeField(required=False, allow_null=True)
        follow_all = serializers.BooleanField(required=False)
        messages = PreferenceMessagesInput(
            required=False, help_text='Groups of messages on or off; only "progress" can be turned off.'
        )

    @extend_schema(summary="The caller's notification settings", responses={200: PreferenceOutput})
    def get(self, request):
        return Response(PreferenceOutput(services.preference_get(account_id=request.user.pk)).data)

    @extend_schema(
        summary="Change the caller's channels, time zone, quiet hours (both or neither), following and progress "
        "messages; fields left out stay as they are",
        request=InputSerializer,
        responses={200: PreferenceOutput},
        examples=[
            OpenApiExample(
                "night",
                value={
                    "channels": {"telegram": True, "email": False},
                    "time_zone": "Asia/Tashkent",
                    "quiet_from": "22:00",
                    "quiet_to": "07:00",
                    "follow_all": False,
                    "messages": {"progress": False},
                },
            )
        ],
    )
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        view = services.preference_set(account_id=request.user.pk, **data.validated_data)
        return Response(PreferenceOutput(view).data)
