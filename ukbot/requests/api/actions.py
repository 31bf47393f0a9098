"""`POST /api/v1/requests/{number}/<action>`: the named steps of a request's life, each one service call.

Each answers with the request as the caller now sees it. ``version`` (optional) is the version the caller read;
a stale one is refused with ``CONFLICT`` so that two people acting at once cannot overwrite each other.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.assignment import public as assignment_public
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api
from ukbot.core.errors import AppError, InvalidTransitionError, PermissionDeniedError, ValidationFailedError
from ukbot.requests import services
from ukbot.requests.api.common import (
    WRITE,
    RequestDetailOutput,
    actor_kind_of,
    detail,
    require,
    require_manager,
    visible,
)
from ukbot.requests.statuses import Actor, Status

VERSION = {
    "min_value": 1,
    "required": False,
    "allow_null": True,
    "default": None,
    "help_text": "The version read; a stale one is refused with CONFLICT.",
}


def _photos(**kwargs):
    return serializers.ListField(child=serializers.UUIDField(), max_length=30, required=False, default=list, **kwargs)


class _ActionApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = RequestDetailOutput

    def _input(self, request, number: str) -> dict:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require(request, WRITE)
        visible(request, number)
        return dict(data.validated_data)


class RequestClaimApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Executor on shift: take a new request of your trade from the pool (first claim wins)",
        request=InputSerializer,
        examples=[OpenApiExample("claim", value={"version": 1})],
    )
    def post(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require(request, WRITE)
        if actor_kind_of(request) != Actor.EXECUTOR:
            raise PermissionDeniedError(_("Only executors claim requests; managers assign them."))
        moved = services.request_move(
            number=number,
            to_status=Status.ASSIGNED,
            actor_kind=Actor.EXECUTOR,
            actor_id=request.user.pk,
            expected_version=data.validated_data["version"],
        )
        return Response(detail(request, moved))


class RequestAssignApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        executor_id = serializers.IntegerField(min_value=1)
        reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Manager: assign a verified executor of the category, or replace the executor of an open request",
        request=InputSerializer,
        examples=[OpenApiExample("assign", value={"executor_id": 42, "version": 1})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        require_manager(request)
        if visible(request, number).status != Status.NEW:
            moved = services.request_reassign(
                number=number,
                executor_id=data["executor_id"],
                actor_id=request.user.pk,
                reason=data["reason"],
                expected_version=data["version"],
            )
            return Response(detail(request, moved))
        try:  # a new request is given out by the one dispatch service: logged, capacity kept
            assignment_public.assign_manual(
                number=number,
                executor_id=data["executor_id"],
                actor_id=request.user.pk,
                reason=data["reason"],
                expected_version=data["version"],
            )
        except AppError as exc:
            raise _as_this_endpoint_answers(exc) from None
        return Response(detail(request, visible(request, number)))


def _as_this_endpoint_answers(exc: AppError) -> AppError:
    """Dispatch's refusals in the codes this endpoint documented before it went through dispatch."""
    if exc.code == "EXECUTOR_NOT_VERIFIED":
        return ValidationFailedError(details={"executor_id": _("This person is not a verified executor.")})
    if exc.code == "EXECUTOR_LACKS_SPECIALIZATION":
        return ValidationFailedError(details={"executor_id": _("This executor does not work in this category.")})
    if exc.code in ("REQUEST_ALREADY_ASSIGNED", "REQUEST_NOT_ASSIGNABLE", "REQUEST_CLOSED"):
        return InvalidTransitionError(message=exc.message)
    return exc


class RequestClarificationApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        question = serializers.CharField(max_length=2000)
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Manager: ask the applicant a question (the request waits in clarification)",
        request=InputSerializer,
        examples=[OpenApiExample("ask", value={"question": "Which entrance and floor?"})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        require_manager(request)
        moved = services.request_move(
            number=number,
            to_status=Status.CLARIFICATION,
            actor_kind=Actor.MANAGER,
            actor_id=request.user.pk,
            reason=data["question"],
            expected_version=data["version"],
        )
        return Response(detail(request, moved))


class RequestClarificationAnswerApi(_ActionApi):
    error_statuses = (409,)  # no question waits for an answer

    class InputSerializer(StrictSerializer):
        answer = serializers.CharField(max_length=4000)

    @extend_schema(
        summary="Applicant: answer the manager's question; the request returns to where it was",
        request=InputSerializer,
        examples=[OpenApiExample("answer", value={"answer": "Entrance 2, floor 5"})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        moved = services.clarification_answer(number=number, actor_id=request.user.pk, answer=data["answer"])
        return Response(detail(request, moved))


class RequestCompleteApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        photos = _photos(help_text="Media ids of photos of the finished work (at least one, here or attached).")
        comment = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="")
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Executor: report the work done with photos after and a comment",
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "done",
                value={"photos": ["9b2f4c1e-0d3a-4f7e-9c55-1a2b3c4d5e6f"], "comment": "Replaced the tap washer."},
            )
        ],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        if actor_kind_of(request) != Actor.EXECUTOR:
            raise PermissionDeniedError(_("Only the assigned executor may do this."))
        moved = services.request_complete(
            number=number,
            actor_id=request.user.pk,
            photos=data["photos"],
            comment=data["comment"],
            expected_version=data["version"],
        )
        return Response(detail(request, moved))


class RequestConfirmApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Manager: confirm the completed work (it goes to the applicant for acceptance)",
        request=InputSerializer,
        examples=[OpenApiExample("confirm", value={"version": 6})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        require_manager(request)
        moved = services.request_move(
            number=number,
            to_status=Status.CONFIRMED,
            actor_kind=Actor.MANAGER,
            actor_id=request.user.pk,
            expected_version=data["version"],
        )
        return Response(detail(request, moved))


class RequestAcceptApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        rating = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Applicant: 1–5.")
        feedback = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
        reason = serializers.CharField(
            max_length=2000,
            allow_blank=True,
            required=False,
            default="",
            help_text="Manager accepting on the applicant's behalf: why (mandatory).",
        )
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Applicant: accept the work with a 1–5 rating; a manager may accept on their behalf with a reason",
        request=InputSerializer,
        examples=[OpenApiExample("thanks", value={"rating": 5, "feedback": "Fast and tidy, thank you!"})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        moved = services.request_accept(
            number=number,
            actor_kind=actor_kind_of(request),
            actor_id=request.user.pk,
            rating=data["rating"],
            feedback=data["feedback"],
            reason=data["reason"],
            expected_version=data["version"],
        )
        return Response(detail(request, moved))


class RequestReturnApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        reason = serializers.CharField(max_length=2000)
        photos = _photos(help_text="Applicant: media ids of photos showing what is wrong.")
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Applicant: return confirmed work with a reason and photos; manager: send completed work back",
        request=InputSerializer,
        examples=[OpenApiExample("still leaking", value={"reason": "It still drips at night", "photos": []})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        moved = services.request_return(
            number=number,
            actor_kind=actor_kind_of(request),
            actor_id=request.user.pk,
            reason=data["reason"],
            photos=data["photos"],
            expected_version=data["version"],
        )
        return Response(detail(request, moved))


class RequestRateApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        rating = serializers.IntegerField(help_text="1–5")
        feedback = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

    @extend_schema(
        summary="Applicant: rate accepted work that has no rating yet (e.g. accepted automatically)",
        request=InputSerializer,
        examples=[OpenApiExample("rate", value={"rating": 4, "feedback": "Good"})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        rated = services.request_rate(
            number=number, actor_id=request.user.pk, rating=data["rating"], feedback=data["feedback"]
        )
        return Response(detail(request, rated))


class RequestCancelApi(_ActionApi):
    class InputSerializer(StrictSerializer):
        reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
        version = serializers.IntegerField(**VERSION)

    @extend_schema(
        summary="Cancel: the applicant while new or assigned, a manager while open",
        request=InputSerializer,
        examples=[OpenApiExample("fixed itself", value={"reason": "The light works again"})],
    )
    def post(self, request, number: str):
        data = self._input(request, number)
        moved = services.request_move(
            number=number,
            to_status=Status.CANCELLED,
            actor_kind=actor_kind_of(request),
            actor_id=request.user.pk,
            reason=data["reason"],
            expected_version=data["version"],
        )
        return Response(detail(request, moved))
