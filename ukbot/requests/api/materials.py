"""`/api/v1/requests/{number}/materials` and `/attachments`: what the work needs, and the files of a request."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import NotFoundError
from ukbot.requests import selectors, services
from ukbot.requests.api.common import WRITE, actor_kind_of, require, require_manager, shown, visible
from ukbot.requests.models import AttachmentKind, MaterialStatus


class MaterialOutput(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3, coerce_to_string=True)
    unit = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    requested_by = serializers.IntegerField()
    decided_by = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MaterialLineInput(StrictSerializer):
    item = serializers.CharField(max_length=200)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3, min_value=Decimal("0.001"))
    unit = serializers.CharField(max_length=20)


class RequestMaterialsApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = MaterialOutput
    ordering = ("created_at", "id")

    class InputSerializer(StrictSerializer):
        items = MaterialLineInput(many=True, allow_empty=False, max_length=50)
        wait = serializers.BooleanField(
            default=False, help_text="Also move an in-progress request to waiting_materials."
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.materials_none()
        visible(self.request, self.kwargs["number"])
        return selectors.materials_of(number=self.kwargs["number"])

    @extend_schema(summary="Materials of a request with their status (requested, approved, issued, rejected)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Executor or manager: ask for materials; with wait the request waits for them",
        request=InputSerializer,
        responses={201: MaterialOutput(many=True)},
        examples=[
            OpenApiExample(
                "pipe",
                value={"items": [{"item": "PPR pipe 20 mm", "quantity": "2.5", "unit": "m"}], "wait": True},
                request_only=True,
            )
        ],
    )
    def post(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require(request, WRITE)
        visible(request, number)
        created = services.materials_request(
            number=number,
            actor_kind=actor_kind_of(request),
            actor_id=request.user.pk,
            items=data.validated_data["items"],
            wait=data.validated_data["wait"],
        )
        return Response(MaterialOutput(created, many=True).data, status=201)


class RequestMaterialDecideApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = MaterialOutput

    class InputSerializer(StrictSerializer):
        status = serializers.ChoiceField(
            choices=[(s, label) for s, label in MaterialStatus.choices if s != MaterialStatus.REQUESTED]
        )
        reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")

    @extend_schema(
        summary="Manager: approve, issue or reject (with a reason) a material line",
        request=InputSerializer,
        examples=[OpenApiExample("approve", value={"status": "approved"})],
    )
    def put(self, request, number: str, material_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_manager(request)
        material = selectors.material_get(material_id=material_id)
        if material is None or material.request_id != number:
            raise NotFoundError()
        decided = services.material_decide(
            material_id=material_id,
            to_status=data.validated_data["status"],
            actor_id=request.user.pk,
            reason=data.validated_data["reason"],
        )
        return Response(MaterialOutput(decided).data)


class AttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    media_id = serializers.UUIDField()
    kind = serializers.CharField()
    added_by = serializers.IntegerField()
    added_at = serializers.DateTimeField()


class RequestAttachmentsApi(ListApi):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = AttachmentOutput
    ordering = ("added_at", "id")
    filterset_fields = ("kind",)

    class InputSerializer(StrictSerializer):
        media_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=30)
        kind = serializers.ChoiceField(choices=AttachmentKind.choices)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.attachments_none()
        return shown(selectors.attachments_shown_to, self.request, self.kwargs["number"])

    @extend_schema(summary="Files of a request: photos before and after, documents, photos with a return")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Attach uploaded files (media ids) to a request",
        request=InputSerializer,
        responses={201: AttachmentOutput(many=True)},
        examples=[
            OpenApiExample(
                "photo",
                value={"media_ids": ["9b2f4c1e-0d3a-4f7e-9c55-1a2b3c4d5e6f"], "kind": "before"},
                request_only=True,
            )
        ],
    )
    def post(self, request, number: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require(request, WRITE)
        visible(request, number)
        attached = services.attachments_add(
            number=number,
            media_ids=data.validated_data["media_ids"],
            kind=data.validated_data["kind"],
            actor_id=request.user.pk,
            actor_kind=actor_kind_of(request),
        )
        return Response(AttachmentOutput(attached, many=True).data, status=201)
