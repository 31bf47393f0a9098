"""`/api/v1/requests…`: create, list, read and move requests. Who acts is the caller's active role in the token."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.permissions import has_scope
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import NotFoundError, PermissionDeniedError
from ukbot.requests import selectors, services
from ukbot.requests.statuses import Actor, Category, Source, Status, Urgency
from ukbot.shifts import public as shifts_public
from ukbot.users import public as users_public

READ, WRITE, ADMIN = "read:requests", "write:requests", "admin:requests"


def actor_kind_of(request) -> str:
    """How the caller acts on requests: ``admin:requests`` makes a manager; the executor role an executor."""
    if has_scope(request, ADMIN):
        return Actor.MANAGER
    token = getattr(request, "auth", None)
    role = token.get("role") if token is not None and hasattr(token, "get") else None
    return Actor.EXECUTOR if role == "executor" else Actor.APPLICANT


class RequestOutput(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField()
    urgency = serializers.CharField()
    source = serializers.CharField()
    applicant_id = serializers.IntegerField()
    executor_id = serializers.IntegerField(allow_null=True)
    building_id = serializers.IntegerField(allow_null=True)
    apartment_id = serializers.IntegerField(allow_null=True)
    address = serializers.CharField()
    description = serializers.CharField()
    contact_phone = serializers.CharField()
    visit_from = serializers.DateTimeField(allow_null=True)
    visit_to = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class RequestListApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestOutput
    filterset_fields = ("status", "category", "urgency", "source", "executor_id", "applicant_id", "building_id")
    search_fields = ("number", "description", "contact_phone", "address")
    ordering_fields = ("created_at", "urgency", "status")
    ordering = ("-created_at",)

    class InputSerializer(StrictSerializer):
        category = serializers.ChoiceField(choices=Category.choices)
        urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
        description = serializers.CharField(max_length=4000)
        contact_phone = serializers.CharField(max_length=32, allow_blank=True, required=False, default="")
        building_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
        apartment_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
        address = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
        visit_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
        visit_to = serializers.DateTimeField(required=False, allow_null=True, default=None)
        applicant_id = serializers.IntegerField(
            min_value=1, required=False, help_text="Managers only: the resident a phoned-in request is for."
        )
        source = serializers.ChoiceField(choices=Source.choices, required=False, default=Source.API)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model without a caller
            return selectors.requests_none()
        return selectors.requests_visible_to(account_id=self.request.user.pk, actor_kind=actor_kind_of(self.request))

    @extend_schema(
        summary="Requests the caller may see (own and co-residents', assigned, or all for managers)",
        parameters=[OpenApiParameter("search", str, description="Number, text, phone or address")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Report a problem; a manager may file it for a resident (applicant_id, source phone)",
        request=InputSerializer,
        responses={201: RequestOutput},
        examples=[
            OpenApiExample(
                "leak",
                value={"category": "plumbing", "urgency": "high", "description": "Water is leaking from the ceiling"},
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        applicant_id = fields.pop("applicant_id", None)
        if not has_scope(request, WRITE):
            raise PermissionDeniedError()
        if applicant_id is not None and applicant_id != request.user.pk and not has_scope(request, ADMIN):
            raise PermissionDeniedError()
        created = services.request_create(
            applicant_id=applicant_id or request.user.pk, created_by=request.user.pk, **fields
        )
        return Response(RequestOutput(created).data, status=201)


def _visible(request, number: str):
    found = selectors.requests_visible_to(account_id=request.user.pk, actor_kind=actor_kind_of(request))
    item = found.filter(pk=number).first()
    if item is None:
        raise NotFoundError()
    return item


def _check_claim(request, number: str) -> None:
    """An executor on shift may claim a new request of a category they work in."""
    item = selectors.request_get(number=number)
    if item is None:
        raise NotFoundError()
    trades = users_public.specializations_of(account_id=request.user.pk)
    needed = users_public.category_specialization(category=item.category)
    if needed not in trades and "universal" not in trades:
        raise PermissionDeniedError(_("This request needs another specialization."))
    if not shifts_public.is_on_shift(executor_id=request.user.pk, specialization=needed):
        raise PermissionDeniedError(_("Start your shift to take requests from the pool."))


class RequestDetailApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestOutput

    @extend_schema(summary="One request, if the caller may see it")
    def get(self, request, number: str):
        return Response(self.OutputSerializer(_visible(request, number)).data)


class RequestStatusApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestOutput

    class InputSerializer(StrictSerializer):
        status = serializers.ChoiceField(choices=Status.choices)
        reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
        executor_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
        version = serializers.IntegerField(
            min_value=1,
            required=False,
            allow_null=True,
            default=None,
            help_text="The version read; a stale one is refused with CONFLICT.",
        )

    @extend_schema(
        summary="Move a request through the state machine (INVALID_TRANSITION names the allowed moves)",
        examples=[OpenApiExample("start work", value={"status": "in_progress", "version": 2})],
    )
    def put(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = actor_kind_of(request)
        if kind == Actor.EXECUTOR and data.validated_data["status"] == Status.ASSIGNED:
            _check_claim(request, number)  # the pool is not "theirs" yet, so visibility does not apply
        else:
            _visible(request, number)
        moved = services.request_move(
            number=number,
            to_status=data.validated_data["status"],
            actor_kind=kind,
            actor_id=request.user.pk,
            reason=data.validated_data["reason"],
            executor_id=data.validated_data["executor_id"],
            expected_version=data.validated_data["version"],
        )
        return Response(self.OutputSerializer(moved).data)


class CommentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author_id = serializers.IntegerField()
    author_kind = serializers.CharField()
    text = serializers.CharField()
    internal = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class RequestCommentsApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = CommentOutput
    ordering = ("created_at",)

    class InputSerializer(StrictSerializer):
        text = serializers.CharField(max_length=4000)
        internal = serializers.BooleanField(default=False)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.comments_none()
        _visible(self.request, self.kwargs["number"])
        return selectors.comments_for(number=self.kwargs["number"], actor_kind=actor_kind_of(self.request))

    @extend_schema(summary="Comments of a request (applicants see only public ones)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Comment on a request; staff may mark it internal",
        request=InputSerializer,
        responses={201: CommentOutput},
        examples=[OpenApiExample("note", value={"text": "The plumber will come after 14:00.", "internal": False})],
    )
    def post(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _visible(request, number)
        comment = services.comment_add(
            number=number, author_id=request.user.pk, actor_kind=actor_kind_of(request), **data.validated_data
        )
        return Response(CommentOutput(comment).data, status=201)
