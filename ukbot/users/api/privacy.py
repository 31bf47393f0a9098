"""`/api/v1/users/{id}/export`, `/users/{id}/forget` and `/users/me/consent`: personal data rights."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.permissions import has_scope
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.throttling import EXPORTS
from ukbot.core.api.views import Api
from ukbot.core.errors import PermissionDeniedError
from ukbot.users import roles
from ukbot.users.services import privacy


def _own_or_admin(request, account_id: int) -> None:
    if request.user.pk != account_id and not has_scope(request, roles.ADMIN_USERS):
        raise PermissionDeniedError()


class UserExportApi(Api):
    rate_buckets = (EXPORTS,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        summary="Every personal datum the system holds about a person, from every app (one's own, or admin:users)",
        responses={200: dict},
    )
    def get(self, request, account_id: int):
        _own_or_admin(request, account_id)
        return Response(privacy.person_export(account_id=account_id))


class UserForgetApi(Api):
    permission_classes = (IsAuthenticated,)

    class OutputSerializer(serializers.Serializer):
        account_id = serializers.IntegerField()
        forgotten = serializers.BooleanField()

    @extend_schema(
        summary="Forget a person: anonymise them in every app, keep non-personal records (one's own, or "
        "admin:users). The account can no longer sign in.",
        request=None,
    )
    def post(self, request, account_id: int):
        _own_or_admin(request, account_id)
        privacy.person_forget(account_id=account_id, requested_by=request.user.pk)
        return Response(self.OutputSerializer({"account_id": account_id, "forgotten": True}).data)


class ConsentApi(Api):
    permission_classes = (IsAuthenticated,)

    class InputSerializer(StrictSerializer):
        text_version = serializers.CharField(max_length=40)
        channel = serializers.ChoiceField(choices=["api", "bot", "web"], default="api")

    class OutputSerializer(serializers.Serializer):
        text_version = serializers.CharField()
        given_at = serializers.DateTimeField()
        channel = serializers.CharField()

    @extend_schema(
        summary="Record the caller's consent to the processing of personal data (the version of the text shown)",
        responses={201: OutputSerializer},
        examples=[OpenApiExample("consent", value={"text_version": "2026-11", "channel": "bot"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = privacy.consent_record(account_id=request.user.pk, **data.validated_data)
        return Response(self.OutputSerializer(consent).data, status=201)
