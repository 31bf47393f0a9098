"""`/api/v1/users…` and the place tree: profiles (own and others'), the active role, yards and buildings."""

from __future__ import annotations

import django_filters
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.auth import public as auth_public
from ukbot.core.api.filters import BIGINT_MAX, IdFilter
from ukbot.core.api.permissions import HasScopes, has_scope
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import NotFoundError, PermissionDeniedError
from ukbot.users import roles, selectors, services
from ukbot.users.models import Language, Profile, ProfileStatus, VerificationStatus
from ukbot.users.specializations import SpecializationKey


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField(source="account_id")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    status = serializers.CharField()
    active_role = serializers.CharField(allow_null=True)
    roles = serializers.SerializerMethodField()
    specializations = serializers.SerializerMethodField()
    avatar_media_id = serializers.UUIDField(allow_null=True)
    bio = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_roles(self, profile: Profile) -> list[str]:
        return sorted(grant.role for grant in profile.role_grants.all())

    def get_specializations(self, profile: Profile) -> dict[str, int]:
        return {s.key: s.level for s in profile.specializations.all()}


class ProfileInput(StrictSerializer):
    """The fields a person edits about themselves (and a manager about them)."""

    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    bio = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    avatar_media_id = serializers.UUIDField(allow_null=True, required=False)
    settings = serializers.DictField(required=False)


class ProfileReplaceInput(ProfileInput):
    """PUT replaces the whole editable profile: the person's names, phone and language must all be given, and what
    is left out of the rest (bio, avatar, settings) is cleared."""

    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)
    phone = serializers.CharField(max_length=32, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices)
    bio = serializers.CharField(max_length=2000, allow_blank=True, default="")
    avatar_media_id = serializers.UUIDField(allow_null=True, default=None)
    settings = serializers.DictField(default=dict)


def _profile(account_id: int) -> Profile:
    profile = (
        selectors.profile_list()
        .filter(account_id=account_id)
        .prefetch_related("role_grants", "specializations")
        .first()
    )
    if profile is None:
        raise NotFoundError()
    return profile


def _may_read(request, account_id: int) -> bool:
    return request.user.pk == account_id or has_scope(request, roles.READ_USERS)


def _may_write(request, account_id: int) -> bool:
    return request.user.pk == account_id or has_scope(request, roles.WRITE_USERS)


class UserMeApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = UserOutput
    InputSerializer = ProfileInput

    @extend_schema(summary="The caller's own profile", responses={200: UserOutput})
    def get(self, request):
        return Response(self.OutputSerializer(_profile(request.user.pk)).data)

    @extend_schema(
        summary="Edit the caller's own profile",
        request=ProfileInput,
        responses={200: UserOutput},
        examples=[OpenApiExample("language", value={"language": "uz", "phone": "+998901234567"})],
    )
    def patch(self, request):
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.profile_update_own(account_id=request.user.pk, **data.validated_data)
        return Response(self.OutputSerializer(_profile(request.user.pk)).data)


class UserActiveRoleApi(Api):
    permission_classes = (IsAuthenticated,)

    class InputSerializer(StrictSerializer):
        role = serializers.ChoiceField(choices=roles.Role.choices)

    OutputSerializer = UserOutput

    @extend_schema(
        summary="Switch the caller's active role (takes effect in the next access token)",
        examples=[OpenApiExample("executor", value={"role": "executor"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.active_role_switch(account_id=request.user.pk, role=data.validated_data["role"])
        return Response(self.OutputSerializer(_profile(request.user.pk)).data)


class UserListApi(ListApi):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (roles.READ_USERS,), "POST": (roles.WRITE_USERS,)}
    OutputSerializer = UserOutput
    error_statuses = {"POST": (409,)}  # the username is taken
    ordering_fields = ("account_id", "last_name", "created_at")
    ordering = ("account_id",)

    class InputSerializer(ProfileInput):
        username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
        role = serializers.ChoiceField(choices=roles.Role.choices, default=roles.Role.APPLICANT)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.profile_list(**filters.validated_data).prefetch_related("role_grants", "specializations")

    class FilterSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=roles.Role.choices, required=False)
        status = serializers.ChoiceField(choices=ProfileStatus.choices, required=False)
        specialization = serializers.ChoiceField(choices=SpecializationKey.choices, required=False)
        verification = serializers.ChoiceField(choices=VerificationStatus.choices, required=False)
        building = serializers.IntegerField(source="building_id", min_value=1, max_value=BIGINT_MAX, required=False)
        search = serializers.CharField(max_length=100, required=False, default="")

    @extend_schema(
        summary="People: filter by role, status, specialization, verification state, building; search by name or phone",
        parameters=[
            OpenApiParameter("role", enum=roles.Role.values),
            OpenApiParameter("status", enum=ProfileStatus.values),
            OpenApiParameter("specialization", enum=SpecializationKey.values),
            OpenApiParameter("verification", enum=VerificationStatus.values, description="State of an application"),
            OpenApiParameter(
                "building",
                {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX},
                description="Lives in this building (approved apartment link)",
            ),
            OpenApiParameter(
                "search", {"type": "string", "maxLength": 100}, description="Words matched against names and phone"
            ),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a person (for example a resident who phoned in); roles other than applicant need admin:users",
        request=InputSerializer,
        responses={201: UserOutput},
        examples=[
            OpenApiExample(
                "resident by phone",
                value={"username": "malika-s", "first_name": "Malika", "phone": "+998901234567", "language": "uz"},
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        username, role = fields.pop("username"), fields.pop("role")
        if role != roles.Role.APPLICANT and not has_scope(request, roles.ADMIN_USERS):
            raise PermissionDeniedError()
        with transaction.atomic():
            account = auth_public.account_create(
                username=username, first_name=fields.get("first_name", ""), last_name=fields.get("last_name", "")
            )
            services.profile_create(
                account_id=account.id,
                **{k: fields[k] for k in ("first_name", "last_name", "phone", "language") if k in fields},
            )
            rest = {k: v for k, v in fields.items() if k in ("bio", "avatar_media_id", "settings")}
            if rest:
                services.profile_update(account_id=account.id, **rest)
            services.role_grant(account_id=account.id, role=role, granted_by=request.user.pk)
        return Response(self.OutputSerializer(_profile(account.id)).data, status=201)


class UserDetailApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = UserOutput
    InputSerializer = ProfileInput
    error_statuses = {"PUT": (409,), "PATCH": (409,)}  # the phone belongs to another person

    @extend_schema(summary="A person's profile (one's own, or anyone's with read:users)", responses={200: UserOutput})
    def get(self, request, account_id: int):
        if not _may_read(request, account_id):
            raise PermissionDeniedError()
        return Response(self.OutputSerializer(_profile(account_id)).data)

    def _update(self, request, account_id: int, *, partial: bool):
        if not _may_write(request, account_id):
            raise PermissionDeniedError()
        data = (self.InputSerializer if partial else ProfileReplaceInput)(data=request.data)
        data.is_valid(raise_exception=True)
        _profile(account_id)  # 404 before any write
        services.profile_update(account_id=account_id, **data.validated_data)
        return Response(self.OutputSerializer(_profile(account_id)).data)

    @extend_schema(
        summary="Edit some fields of a profile (own, or anyone's with write:users)",
        request=ProfileInput,
        examples=[OpenApiExample("phone", value={"phone": "+998901234567"})],
    )
    def patch(self, request, account_id: int):
        return self._update(request, account_id, partial=True)

    @extend_schema(
        summary="Replace the editable fields of a profile (own, or anyone's with write:users); names, phone and "
        "language are required, bio, avatar and settings left out are cleared",
        request=ProfileReplaceInput,
        examples=[
            OpenApiExample(
                "profile",
                value={"first_name": "Bobur", "last_name": "Toshmatov", "phone": "+998905556677", "language": "uz"},
            )
        ],
    )
    def put(self, request, account_id: int):
        return self._update(request, account_id, partial=False)


class ApartmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    floor = serializers.IntegerField(allow_null=True)


class EntranceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    apartments = ApartmentOutput(many=True)


class BuildingAddressesOutput(serializers.Serializer):
    """A building's address as readers of each language write it: its version in that language, else the company's."""

    # Which version a language falls back to: decision 0020.

    ru = serializers.CharField()
    uz = serializers.CharField()
    en = serializers.CharField()

    def to_representation(self, instance) -> dict[str, str]:
        return {code: selectors.building_address_in(instance, language=code) for code in ("ru", "uz", "en")}


class BuildingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    yard_id = serializers.IntegerField()
    yard = serializers.CharField(source="yard.name")
    address = serializers.CharField(help_text="In the company's language; what search and uniqueness go by.")
    addresses = BuildingAddressesOutput(source="*", help_text="The address to show to a reader of each language.")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)


class BuildingFilter(django_filters.FilterSet):
    yard = IdFilter(field_name="yard_id")


class BuildingListApi(ListApi):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (roles.READ_PLACES,)}
    OutputSerializer = BuildingOutput
    search_fields = ("address", "yard__name")
    filterset_class = BuildingFilter
    ordering_fields = ("id", "address")

    def get_queryset(self):
        return selectors.building_list().select_related("yard")

    @extend_schema(summary="Buildings with their address and coordinates; filter by yard, search by address")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BuildingDetailApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (roles.READ_PLACES,)}

    class OutputSerializer(BuildingOutput):
        entrances = EntranceOutput(many=True)

    @extend_schema(summary="A building with its entrances and apartments (addresses to choose from)")
    def get(self, request, building_id: int):
        building = (
            selectors.building_list()
            .select_related("yard")
            .prefetch_related("entrances__apartments")
            .filter(pk=building_id)
            .first()
        )
        if building is None:
            raise NotFoundError()
        return Response(self.OutputSerializer(building).data)
