"""`/api/v1/invitations…`: managers invite staff and residents; a person uses a code to take the role."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.permissions import HasScopes, has_scope
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.users import roles, selectors
from ukbot.users.models import Invitation
from ukbot.users.services import invitations
from ukbot.users.specializations import SpecializationKey


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    specialization = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    created_by = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    used_by = serializers.IntegerField(allow_null=True)
    state = serializers.SerializerMethodField()

    def get_state(self, invitation: Invitation) -> str:
        if invitation.revoked_at:
            return "revoked"
        if invitation.used_at:
            return "used"
        return "expired" if invitation.expires_at <= timezone.now() else "active"


class InvitationListApi(ListApi):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (roles.WRITE_USERS,), "POST": (roles.WRITE_USERS,)}
    OutputSerializer = InvitationOutput
    filterset_fields = ("role",)
    ordering = ("-id",)

    class InputSerializer(StrictSerializer):
        role = serializers.ChoiceField(choices=roles.Role.choices)
        expires_in = serializers.ChoiceField(choices=sorted(invitations.EXPIRIES))
        specialization = serializers.ChoiceField(choices=SpecializationKey.choices, required=False, allow_blank=True)
        level = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True, default=None)
        note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

    class CreatedOutput(InvitationOutput):
        code = serializers.CharField(help_text="Shown once: give it to the person, or the deep link below.")
        start_parameter = serializers.CharField(help_text="The bot deep link is t.me/<bot>?start=<this>.")

    def get_queryset(self):
        return selectors.invitation_list()

    @extend_schema(summary="Invitations (codes are never shown again)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Invite a person into a role, valid 1 h, 24 h or 7 days; managers and admins need admin:users",
        request=InputSerializer,
        responses={201: CreatedOutput},
        examples=[
            OpenApiExample("plumber", value={"role": "executor", "specialization": "plumber", "expires_in": "24h"})
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = invitations.invitation_create(
            created_by=request.user.pk,
            may_invite_managers=has_scope(request, roles.ADMIN_USERS),
            **data.validated_data,
        )
        body = {
            **InvitationOutput(issued.invitation).data,
            "code": issued.code,
            "start_parameter": issued.start_parameter,
        }
        return Response(body, status=201)


class InvitationRevokeApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"POST": (roles.WRITE_USERS,)}
    OutputSerializer = InvitationOutput

    @extend_schema(summary="Withdraw an unused invitation", request=None)
    def post(self, request, invitation_id: int):
        return Response(self.OutputSerializer(invitations.invitation_revoke(invitation_id=invitation_id)).data)


class InvitationAcceptApi(Api):
    permission_classes = (IsAuthenticated,)
    error_statuses = (403, 409, 410)  # made by the caller (decision 0027); already used or withdrawn; expired

    class InputSerializer(StrictSerializer):
        code = serializers.CharField(max_length=40)

    class OutputSerializer(serializers.Serializer):
        role = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        summary="Use an invitation code: its role is granted (it shows in the next access token)",
        examples=[OpenApiExample("code", value={"code": "K7M2Q9XP4RH8TZ3WNV"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = invitations.invitation_accept(code=data.validated_data["code"], account_id=request.user.pk)
        return Response(
            self.OutputSerializer(
                {"role": invitation.role, "roles": selectors.profile_roles(account_id=request.user.pk)}
            ).data
        )
