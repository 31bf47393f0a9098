"""`/api/v1/users/me/apartments…` and `/apartment-links…`: residents link themselves to apartments; managers review."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.filters import ChoiceFilter, IdFilter
from ukbot.core.api.permissions import HasScopes
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import NotFoundError
from ukbot.users import roles, selectors, services
from ukbot.users.models import ApartmentLink, ApartmentLinkStatus, ApartmentRelation


class ApartmentLinkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account_id = serializers.IntegerField(source="profile_id")
    apartment_id = serializers.IntegerField()
    apartment_number = serializers.CharField(source="apartment.number")
    entrance_number = serializers.IntegerField(source="apartment.entrance.number")
    building_id = serializers.IntegerField(source="apartment.entrance.building_id")
    building_address = serializers.CharField(source="apartment.entrance.building.address")
    yard_id = serializers.IntegerField(source="apartment.entrance.building.yard_id")
    relation = serializers.ChoiceField(choices=ApartmentRelation.choices)
    is_primary = serializers.BooleanField()
    status = serializers.ChoiceField(choices=ApartmentLinkStatus.choices)
    reason = serializers.CharField()
    document_media_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    reviewed_by = serializers.IntegerField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)


def _link(link_id: int) -> ApartmentLink:
    link = selectors.apartment_link_list().filter(pk=link_id).first()
    if link is None:
        raise NotFoundError()
    return link


class MyApartmentLinkListApi(ListApi):
    permission_classes = (IsAuthenticated,)  # a person's own links: no scope needed
    OutputSerializer = ApartmentLinkOutput
    ordering = ("created_at", "id")
    error_statuses = {"POST": (404, 409)}  # no such apartment; already linked to it

    class InputSerializer(StrictSerializer):
        apartment_id = serializers.IntegerField(min_value=1)
        relation = serializers.ChoiceField(choices=ApartmentRelation.choices)
        primary = serializers.BooleanField(default=False)
        document_media_id = serializers.UUIDField(allow_null=True, required=False, default=None)

    def get_queryset(self):
        return selectors.apartment_link_list(account_id=self.request.user.pk)

    @extend_schema(summary="The caller's apartment links, pending, approved and rejected")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Ask to be linked to an apartment; a manager approves or rejects the link",
        request=InputSerializer,
        responses={201: ApartmentLinkOutput},
        examples=[
            OpenApiExample(
                "tenant with a document",
                value={
                    "apartment_id": 12,
                    "relation": "tenant",
                    "primary": True,
                    "document_media_id": "6f1c1a1e-9a55-4d0b-8a4e-2f3f0e3c9b11",
                },
            ),
            OpenApiExample("owner", value={"apartment_id": 12, "relation": "owner"}),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.apartment_link_request(account_id=request.user.pk, **data.validated_data)
        return Response(self.OutputSerializer(_link(link.pk)).data, status=201)


class MyApartmentLinkDeleteApi(Api):
    permission_classes = (IsAuthenticated,)

    @extend_schema(summary="Remove one of the caller's apartment links", responses={204: None})
    def delete(self, request, link_id: int):
        services.apartment_link_remove(account_id=request.user.pk, link_id=link_id)
        return Response(status=204)


class MyApartmentPrimarySetApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = ApartmentLinkOutput

    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(
        summary="Make one of the caller's pending or approved links the primary one",
        request=InputSerializer,
        responses={200: ApartmentLinkOutput},
        examples=[OpenApiExample("primary", value={})],
    )
    def post(self, request, link_id: int):
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        link = services.apartment_primary_set(account_id=request.user.pk, link_id=link_id)
        return Response(self.OutputSerializer(_link(link.pk)).data)


class ApartmentLinkFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=ApartmentLinkStatus.choices)
    building = IdFilter(field_name="apartment__entrance__building_id")
    yard = IdFilter(field_name="apartment__entrance__building__yard_id")
    account = IdFilter(field_name="profile_id")

    class Meta:
        model = ApartmentLink
        fields = ("status", "building", "yard", "account")


class ApartmentLinkListApi(ListApi):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"GET": (roles.WRITE_USERS,)}
    OutputSerializer = ApartmentLinkOutput
    filterset_class = ApartmentLinkFilter
    search_fields = (
        "profile__first_name",
        "profile__last_name",
        "profile__phone",
        "apartment__entrance__building__address",
    )
    ordering_fields = ("created_at", "id")
    ordering = ("created_at", "id")

    def get_queryset(self):
        return selectors.apartment_link_list()

    @extend_schema(
        summary="The apartment-moderation queue: filter by status (pending to review), building, yard or person; "
        "search by name, phone or address"
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ApartmentLinkApproveApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"POST": (roles.WRITE_USERS,)}
    OutputSerializer = ApartmentLinkOutput

    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(
        summary="Approve a pending apartment link (a person without a role becomes an applicant)",
        request=InputSerializer,
        responses={200: ApartmentLinkOutput},
        examples=[OpenApiExample("approve", value={})],
    )
    def post(self, request, link_id: int):
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        link = services.apartment_link_approve(link_id=link_id, reviewer_id=request.user.pk)
        return Response(self.OutputSerializer(_link(link.pk)).data)


class ApartmentLinkRejectApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"POST": (roles.WRITE_USERS,)}
    OutputSerializer = ApartmentLinkOutput

    class InputSerializer(StrictSerializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(
        summary="Reject a pending apartment link, saying why",
        request=InputSerializer,
        responses={200: ApartmentLinkOutput},
        examples=[OpenApiExample("reject", value={"reason": "The lease names another tenant."})],
    )
    def post(self, request, link_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.apartment_link_reject(
            link_id=link_id, reviewer_id=request.user.pk, reason=data.validated_data["reason"]
        )
        return Response(self.OutputSerializer(_link(link.pk)).data)


class MyApartmentLinkDocumentApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = ApartmentLinkOutput

    class InputSerializer(StrictSerializer):
        document_media_id = serializers.UUIDField()

    @extend_schema(
        summary="Attach an identity document (a media id) to one of the caller's pending links",
        request=InputSerializer,
        responses={200: ApartmentLinkOutput},
        examples=[OpenApiExample("passport", value={"document_media_id": "6f1c1a1e-9a55-4d0b-8a4e-2f3f0e3c9b11"})],
    )
    def post(self, request, link_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.apartment_link_document_set(
            account_id=request.user.pk, link_id=link_id, document_media_id=data.validated_data["document_media_id"]
        )
        return Response(self.OutputSerializer(_link(link.pk)).data)
