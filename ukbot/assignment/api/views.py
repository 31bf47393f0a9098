"""`/api/v1/assignments…`: ranked executors for a request, manual assignment, and the log of assignments.

Dispatchers' work: every operation needs ``admin:requests`` (the manager and admin roles).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from ukbot.assignment import scoring, selectors, services
from ukbot.assignment.models import Algorithm, Assignment
from ukbot.core.api.filters import ChoiceFilter, DateTimeFilter, FastFilterSet, IdFilter
from ukbot.core.api.permissions import HasScopes
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi

ADMIN_REQUESTS = "admin:requests"  # triage and assignment (DESIGN §8)
NUMBER = r"^\d{6}-\d{3,6}$"
MAX_LIMIT = 50


class PartOutput(serializers.Serializer):
    name = serializers.ChoiceField(choices=scoring.PARTS)
    value = serializers.FloatField(help_text="From 0 (worst) to 1 (best).")
    weight = serializers.FloatField()
    contribution = serializers.FloatField(help_text="What the part added to the total score.")
    raw = serializers.DictField(help_text="The values behind the part (level, km and minutes, open and capacity…).")


class ScoredOutput(serializers.Serializer):
    executor_id = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.FloatField(help_text="From 0 to 1: the weighted mean of the parts.")
    on_shift = serializers.BooleanField(help_text="On shift now; false for a planned shift starting soon.")
    shift_id = serializers.IntegerField()
    travel_km = serializers.FloatField(allow_null=True)
    travel_minutes = serializers.FloatField(allow_null=True)
    origin = serializers.CharField(allow_null=True, help_text="live, shift_start or last_job; null when unknown.")
    arrival = serializers.DateTimeField(allow_null=True)
    can_reach = serializers.BooleanField(allow_null=True, help_text="Before the resolution deadline; null: unknown.")
    open_load = serializers.IntegerField()
    capacity = serializers.IntegerField()
    parts = PartOutput(many=True)


class CandidateOutput(ScoredOutput):
    rank = serializers.IntegerField(min_value=1)


class ReasonOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=scoring.REASONS)
    message = serializers.CharField()


class ExcludedOutput(serializers.Serializer):
    executor_id = serializers.IntegerField()
    name = serializers.CharField()
    reasons = ReasonOutput(many=True)
    score = serializers.FloatField(allow_null=True, help_text="What they would have scored, where it can be said.")


class RequestBriefOutput(serializers.Serializer):
    number = serializers.CharField()
    category = serializers.CharField()
    specialization = serializers.CharField()
    urgency = serializers.CharField()
    building_id = serializers.IntegerField(allow_null=True)
    reaction_deadline = serializers.DateTimeField(allow_null=True)
    resolution_deadline = serializers.DateTimeField(allow_null=True)


class RulesOutput(serializers.Serializer):
    weights = serializers.DictField(child=serializers.FloatField())
    capacity = serializers.IntegerField()
    road_factor = serializers.FloatField()
    speed_kmh = serializers.FloatField()


class RecommendationOutput(serializers.Serializer):
    request = RequestBriefOutput()
    rules = RulesOutput()
    at = serializers.DateTimeField()
    candidates = CandidateOutput(many=True)
    excluded = ExcludedOutput(many=True)


def _scored(scored: scoring.Scored) -> dict:
    return {
        "executor_id": scored.executor_id,
        "name": scored.name,
        "score": scored.score,
        "on_shift": scored.on_shift,
        "shift_id": scored.shift_id,
        "travel_km": scored.travel_km,
        "travel_minutes": scored.travel_minutes,
        "origin": scored.origin,
        "arrival": scored.arrival,
        "can_reach": scored.can_reach,
        "open_load": scored.open_load,
        "capacity": scored.capacity,
        "parts": [
            {"name": p.name, "value": p.value, "weight": p.weight, "contribution": p.contribution, "raw": dict(p.raw)}
            for p in scored.parts
        ],
    }


def recommendation_data(recommendation: selectors.Recommendation, *, limit: int) -> dict:
    """The recommendation as the API shows it: the first ``limit`` candidates and every exclusion."""
    brief, rules = recommendation.request, recommendation.rules
    return {
        "request": {
            "number": brief.number,
            "category": brief.category,
            "specialization": recommendation.specialization,
            "urgency": brief.urgency,
            "building_id": brief.building_id,
            "reaction_deadline": brief.reaction_deadline,
            "resolution_deadline": brief.resolution_deadline,
        },
        "rules": {
            "weights": rules.weights.as_dict(),
            "capacity": rules.capacity,
            "road_factor": rules.road_factor,
            "speed_kmh": rules.speed_kmh,
        },
        "at": recommendation.at,
        "candidates": [
            {**_scored(scored), "rank": place}
            for place, scored in enumerate(recommendation.ranking.ranked[:limit], start=1)
        ],
        "excluded": [
            {
                "executor_id": item.executor_id,
                "name": item.name,
                "reasons": [{"code": code, "message": str(selectors.reason_text(code))} for code in item.reasons],
                "score": item.scored.score if item.scored is not None else None,
            }
            for item in recommendation.ranking.excluded
        ],
    }


class AssignmentRecommendationsApi(Api):
    """The executors who may take a new request, best first, each with the parts of their score and the values
    behind them; and those who may not, with the reasons (not verified, lacks the specialization, off shift, at
    capacity, would miss the deadline)."""

    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (ADMIN_REQUESTS,)}
    OutputSerializer = RecommendationOutput
    error_statuses = {"GET": (404, 409)}  # no such request; closed, assigned or not new

    class FilterSerializer(StrictSerializer):
        request = serializers.RegexField(NUMBER, max_length=16, help_text="The request's number, e.g. 261203-001.")
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=10)

    @extend_schema(
        summary="Dispatcher: ranked executors for a new request, with each score explained and the exclusions",
        parameters=[
            OpenApiParameter(
                "request",
                {"type": "string", "pattern": NUMBER, "maxLength": 16},
                required=True,
                description="The request's number, e.g. 261203-001",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"How many candidates to list (default 10, at most {MAX_LIMIT})",
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        recommendation = selectors.recommendations_for(number=query.validated_data["request"])
        data = recommendation_data(recommendation, limit=query.validated_data["limit"])
        return Response(self.OutputSerializer(data).data)


class AssignmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    request_number = serializers.CharField()
    executor_id = serializers.IntegerField()
    algorithm = serializers.ChoiceField(choices=Algorithm.choices)
    score = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True, help_text="Place in the ranking; null when it was excluded.")
    parts = serializers.ListField(child=serializers.DictField())
    exclusions = serializers.ListField(
        child=serializers.CharField(), help_text="Exclusions of the ranking the decision overruled."
    )
    recommended_executor_id = serializers.IntegerField(allow_null=True)
    recommended_score = serializers.FloatField(allow_null=True)
    overrode = serializers.BooleanField(help_text="Another executor than the top recommendation was chosen.")
    decided_by = serializers.IntegerField(allow_null=True, help_text="Who chose; null when the system did.")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class AssignmentManualAssignApi(Api):
    """Give a new request to an executor of the manager's choice, recorded as "manual" with the top recommendation
    it overrode. A verified executor of the trade under capacity; off shift and a missed deadline are allowed (the
    log keeps them)."""

    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"POST": (ADMIN_REQUESTS,)}
    OutputSerializer = AssignmentOutput
    error_statuses = {"POST": (404, 409, 422)}  # no such request; taken, closed, at capacity; not verified, no trade

    class InputSerializer(StrictSerializer):
        request = serializers.RegexField(NUMBER, max_length=16, help_text="The request's number, e.g. 261203-001.")
        executor_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

    @extend_schema(
        summary="Dispatcher: assign a new request to the executor of your choice (logged as manual)",
        request=InputSerializer,
        responses={201: AssignmentOutput},
        examples=[OpenApiExample("assign", value={"request": "261203-001", "executor_id": 42})],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assert request.user.pk is not None  # IsAuthenticated
        row = services.assignment_manual(
            number=data.validated_data["request"],
            executor_id=data.validated_data["executor_id"],
            actor_id=request.user.pk,
            reason=data.validated_data["reason"],
        )
        return Response(self.OutputSerializer(row).data, status=201)


class AssignmentFilter(FastFilterSet):
    request = django_filters.CharFilter(field_name="request_number", max_length=16)
    executor = IdFilter(field_name="executor_id")
    decided_by = IdFilter(field_name="decided_by")
    algorithm = ChoiceFilter(choices=[(value, value) for value in Algorithm.values])
    created_from = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_to = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Assignment
        fields = ("request", "executor", "decided_by", "algorithm", "created_from", "created_to")


class AssignmentListApi(ListApi):
    """Every assignment made, newest first: by request, executor, who decided, algorithm and time."""

    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (ADMIN_REQUESTS,)}
    OutputSerializer = AssignmentOutput
    filterset_class = AssignmentFilter
    ordering_fields = ("created_at", "score")
    ordering = ("-created_at",)

    def get_queryset(self) -> QuerySet[Assignment]:
        return selectors.assignment_list()

    @extend_schema(summary="Dispatcher: the log of assignments (filter by request, executor, algorithm, time)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
