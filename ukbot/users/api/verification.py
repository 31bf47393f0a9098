"""`/api/v1/verification…` and `/users/{id}/verify`: executors apply with documents; managers review."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.permissions import HasScopes, has_scope
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import NotFoundError, PermissionDeniedError
from ukbot.users import roles, selectors
from ukbot.users.models import VerificationStatus
from ukbot.users.services import verification
from ukbot.users.specializations import SpecializationKey


class ApplicationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account_id = serializers.IntegerField()
    specialization = serializers.CharField()
    documents = serializers.ListField(child=serializers.UUIDField())
    comment = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    reviewed_by = serializers.IntegerField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)


class VerificationListApi(ListApi):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (roles.WRITE_USERS,)}
    OutputSerializer = ApplicationOutput
    error_statuses = {"POST": (409,)}  # an application for this specialization is already open
    filterset_fields = ("status", "specialization")
    ordering = ("submitted_at",)

    class InputSerializer(StrictSerializer):
        specialization = serializers.ChoiceField(choices=SpecializationKey.choices)
        documents = serializers.ListField(child=serializers.UUIDField(), max_length=10, default=list)
        comment = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

    def get_queryset(self):
        return selectors.verification_list()

    @extend_schema(summary="The verification queue (filter by status, specialization), oldest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Apply to be verified as an executor, with document media ids",
        request=InputSerializer,
        responses={201: ApplicationOutput},
        examples=[OpenApiExample("electrician", value={"specialization": "electrician", "documents": []})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = verification.verification_apply(account_id=request.user.pk, **data.validated_data)
        return Response(ApplicationOutput(application).data, status=201)


def _own_or_reader(request, application_id: int):
    application = selectors.verification_list().filter(pk=application_id).first()
    if application is None:
        raise NotFoundError()
    if application.account_id != request.user.pk and not has_scope(request, roles.READ_USERS):
        raise PermissionDeniedError()
    return application


class VerificationStatusApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = ApplicationOutput

    @extend_schema(summary="An application and its status (one's own, or any with read:users)")
    def get(self, request, application_id: int):
        return Response(self.OutputSerializer(_own_or_reader(request, application_id)).data)


class VerificationDocumentsApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = ApplicationOutput

    class InputSerializer(StrictSerializer):
        documents = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=10)

    @extend_schema(
        summary="Add documents to one's own application while it waits for review",
        examples=[OpenApiExample("documents", value={"documents": ["3f1c2b9e-8d4a-4c5e-9b7a-2a1d0e6f4c3b"]})],
    )
    def post(self, request, application_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = verification.verification_add_documents(
            application_id=application_id, account_id=request.user.pk, documents=data.validated_data["documents"]
        )
        return Response(self.OutputSerializer(application).data)


class UserVerifyApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"POST": (roles.WRITE_USERS,)}
    OutputSerializer = ApplicationOutput

    class InputSerializer(StrictSerializer):
        application_id = serializers.IntegerField(required=False)
        decision = serializers.ChoiceField(choices=["approve", "reject"])
        reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
        level = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True, default=None)

    @extend_schema(
        summary="Approve or reject a person's verification application (approval grants the executor role)",
        examples=[OpenApiExample("reject", value={"decision": "reject", "reason": "The document is unreadable."})],
    )
    def post(self, request, account_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pending = selectors.verification_list().filter(account_id=account_id, status=VerificationStatus.PENDING)
        if "application_id" in data.validated_data:
            pending = pending.filter(pk=data.validated_data["application_id"])
        application = pending.first()
        if application is None:
            raise NotFoundError()
        reviewed = verification.verification_review(
            application_id=application.pk,
            reviewer_id=request.user.pk,
            approve=data.validated_data["decision"] == "approve",
            reason=data.validated_data["reason"],
            level=data.validated_data["level"],
        )
        return Response(self.OutputSerializer(reviewed).data)
