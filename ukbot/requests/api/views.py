"""`/api/v1/requests…`: file, list, read, edit and move requests; comments and history; the executors' pool.

Who acts is the caller's active role in the token (see :func:`common.actor_kind_of`).
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.filters import SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.filters import BooleanFilter, ChoiceFilter, DateTimeFilter, FastFilterSet, IdFilter, OrderingFilter
from ukbot.core.api.renderers import mark_enveloped
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import PermissionDeniedError
from ukbot.requests import access, selectors, services, sla
from ukbot.requests.api.common import (
    WRITE,
    RequestDetailOutput,
    RequestOutput,
    actor_kind_of,
    detail,
    require,
    role_of,
    shown,
    visible,
)
from ukbot.requests.models import Request
from ukbot.requests.statuses import Actor, Category, Source, Status, Urgency


def _plain(choices) -> list[tuple[str, str]]:
    """Choices keyed and labelled by value: a filter form deep-copies its fields on every request, and lazy
    translated labels make that copy cost more than the query (the labels live in the OpenAPI enums anyway)."""
    return [(value, value) for value in choices.values]


class RequestFilter(FastFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=_plain(Status), distinct=False)
    category = django_filters.MultipleChoiceFilter(choices=_plain(Category), distinct=False)
    urgency = django_filters.MultipleChoiceFilter(choices=_plain(Urgency), distinct=False)
    source = ChoiceFilter(choices=_plain(Source))
    executor = IdFilter(field_name="executor_id")
    applicant = IdFilter(field_name="applicant_id")
    yard = IdFilter(field_name="yard_id")
    building = IdFilter(field_name="building_id")
    apartment = IdFilter(field_name="apartment_id")
    created_from = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_to = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    overdue = BooleanFilter(method="filter_overdue", help_text="Past a deadline not met yet.")

    class Meta:
        model = Request
        fields = (
            "status",
            "category",
            "urgency",
            "source",
            "executor",
            "applicant",
            "yard",
            "building",
            "apartment",
            "created_from",
            "created_to",
            "overdue",
        )

    def filter_overdue(self, queryset, name, value):
        condition = sla.overdue_q(now=timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class RequestListApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestOutput
    filterset_class = RequestFilter
    search_fields = ("number", "description", "contact_phone", "address")
    ordering_fields = ("created_at", "urgency", "status", "resolution_deadline", "number")
    ordering = ("-created_at",)

    class InputSerializer(StrictSerializer):
        category = serializers.ChoiceField(choices=Category.choices)
        urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
        description = serializers.CharField(max_length=4000)
        contact_phone = serializers.CharField(max_length=32, allow_blank=True, required=False, default="")
        building_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
        apartment_id = serializers.IntegerField(
            min_value=1,
            required=False,
            allow_null=True,
            default=None,
            help_text="Residents: one of their approved apartments (their primary one when omitted).",
        )
        entrance = serializers.CharField(max_length=10, allow_blank=True, required=False, default="")
        floor = serializers.IntegerField(min_value=-5, max_value=200, required=False, allow_null=True, default=None)
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

    def list(self, request, *args, **kwargs):
        """The page in one statement (:func:`selectors.requests_page`) where it can be; else, and for an empty
        page (whose total and errors DRF's path gives), the generic path of filter backends and pagination."""
        rows = self._page_in_one_statement(request)
        if rows is None:
            return super().list(request, *args, **kwargs)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def _page_in_one_statement(self, request) -> list | None:
        bounds = self.paginator.page_bounds(request)
        if bounds is None:
            return None
        filterset = self.filterset_class(request.query_params, queryset=Request.objects.all(), request=request)
        if not filterset.is_valid():
            return None  # the generic path answers with the errors
        filters = {name: value for name, value in filterset.form.cleaned_data.items() if value not in EMPTY_VALUES}
        if not filters.keys() <= selectors.PAGE_FILTERS:
            return None
        # The id filters (IdFilter) hold whole numbers in a bigint's range: the statement takes them as they are.
        number, page_size = bounds
        ordering = OrderingFilter().get_ordering(request, Request.objects.all(), self)
        rows, total = selectors.requests_page(
            account_id=request.user.pk,
            actor_kind=actor_kind_of(request),
            filters=filters,
            search_fields=self.search_fields,
            search_terms=SearchFilter().get_search_terms(request),
            ordering=ordering,
            offset=(number - 1) * page_size,
            limit=page_size,
        )
        if not rows:
            return None
        return self.paginator.page_of(rows, total=total, number=number, page_size=page_size, request=request)

    @extend_schema(
        summary="Report a problem; a manager may file it for a resident (applicant_id, source phone)",
        description="A request for the same apartment and category as a recent open one is filed, linked to it "
        "(`duplicate_of`), and answered with a `POSSIBLE_DUPLICATE` warning in `meta.warnings`.",
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
        require(request, WRITE)
        kind = actor_kind_of(request)
        if applicant_id is not None and applicant_id != request.user.pk and kind != Actor.MANAGER:
            raise PermissionDeniedError()
        if fields["source"] not in access.sources_for(actor_kind=kind, role=role_of(request)):
            raise PermissionDeniedError(_("You cannot file a request from this source."))
        created = services.request_create(
            applicant_id=applicant_id or request.user.pk, created_by=request.user.pk, **fields
        )
        body = {"data": RequestOutput(created).data}
        if created.duplicate_of_id:
            body["meta"] = {
                "warnings": [
                    {
                        "code": "POSSIBLE_DUPLICATE",
                        "message": str(_("Request %(number)s about the same problem is still open."))
                        % {"number": created.duplicate_of_id},
                        "duplicate_of": created.duplicate_of_id,
                    }
                ]
            }
        return mark_enveloped(Response(body, status=201))


class RequestPoolApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestOutput
    filterset_class = RequestFilter
    search_fields = ("number", "description", "address")
    ordering_fields = ("created_at", "urgency", "resolution_deadline")
    ordering = ("resolution_deadline", "created_at")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.requests_none()
        if actor_kind_of(self.request) != Actor.EXECUTOR:
            raise PermissionDeniedError(_("The pool is for executors."))
        return selectors.pool_cards_for(executor_id=self.request.user.pk)

    @extend_schema(summary="New requests an executor on shift may claim (of their trades), soonest deadline first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RequestUpdateInput(StrictSerializer):
    category = serializers.ChoiceField(choices=Category.choices, required=False, help_text="Managers only.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, help_text="Managers only.")
    description = serializers.CharField(max_length=4000, required=False)
    contact_phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    address = serializers.CharField(max_length=300, allow_blank=True, required=False, help_text="Managers only.")
    entrance = serializers.CharField(max_length=10, allow_blank=True, required=False)
    floor = serializers.IntegerField(min_value=-5, max_value=200, required=False, allow_null=True)
    visit_from = serializers.DateTimeField(required=False, allow_null=True)
    visit_to = serializers.DateTimeField(required=False, allow_null=True)
    version = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="The version read; a stale one is refused."
    )


class RequestDetailApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestDetailOutput
    error_statuses = {"PUT": (403, 409), "PATCH": (403, 409)}  # a change the caller or the state does not allow
    InputSerializer = RequestUpdateInput

    @extend_schema(summary="One request, if the caller may see it, with the moves the caller may make")
    def get(self, request, number: str):
        return Response(detail(request, visible(request, number)))

    def _update(self, request, number: str, *, partial: bool):
        data = self.InputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        require(request, WRITE)
        visible(request, number)
        changes = dict(data.validated_data)
        version = changes.pop("version", None)
        updated = services.request_update(
            number=number,
            actor_kind=actor_kind_of(request),
            actor_id=request.user.pk,
            changes=changes,
            expected_version=version,
        )
        return Response(detail(request, updated))

    @extend_schema(
        summary="Edit details: managers while open, the applicant while new (urgency recomputes deadlines)",
        request=RequestUpdateInput,
        examples=[OpenApiExample("urgent", value={"urgency": "critical", "version": 3})],
    )
    def patch(self, request, number: str):
        return self._update(request, number, partial=True)

    @extend_schema(
        summary="Edit details (same as PATCH; only the fields sent change)",
        request=RequestUpdateInput,
        examples=[OpenApiExample("describe", value={"description": "The leak is in the bathroom", "version": 1})],
    )
    def put(self, request, number: str):
        return self._update(request, number, partial=True)


class RequestStatusApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestDetailOutput

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
        require(request, WRITE)
        kind = actor_kind_of(request)
        if not access.is_claim(actor_kind=kind, to_status=data.validated_data["status"]):
            visible(request, number)  # a claim is judged by the service: the pool is not the executor's yet
        moved = services.request_move(
            number=number,
            to_status=data.validated_data["status"],
            actor_kind=kind,
            actor_id=request.user.pk,
            reason=data.validated_data["reason"],
            executor_id=data.validated_data["executor_id"],
            expected_version=data.validated_data["version"],
        )
        return Response(detail(request, moved))


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
        return shown(selectors.comments_shown_to, self.request, self.kwargs["number"])

    @extend_schema(summary="Comments of a request (internal ones for managers only; none on a pool card)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Comment on a request you are a party to; managers may mark it internal",
        request=InputSerializer,
        responses={201: CommentOutput},
        examples=[OpenApiExample("note", value={"text": "The plumber will come after 14:00.", "internal": False})],
    )
    def post(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require(request, WRITE)
        visible(request, number)
        comment = services.comment_add(
            number=number, author_id=request.user.pk, actor_kind=actor_kind_of(request), **data.validated_data
        )
        return Response(CommentOutput(comment).data, status=201)


class HistoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_kind = serializers.CharField()
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()


class RequestHistoryApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = HistoryOutput
    ordering = ("at", "id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.history_none()
        return shown(selectors.history_shown_to, self.request, self.kwargs["number"])

    @extend_schema(summary="The history of a request: who did what, when, from which status to which, and why")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
