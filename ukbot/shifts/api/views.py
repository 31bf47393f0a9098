"""`/api/v1/shifts…` (first piece): an executor starts and ends shifts, planned or on the spot."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.permissions import HasScopes
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.views import Api
from ukbot.shifts import services

WRITE_SHIFTS = "write:shifts"


class ShiftOutput(serializers.Serializer):
    id = serializers.IntegerField()
    executor_id = serializers.IntegerField()
    specialization = serializers.CharField()
    status = serializers.CharField()
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    actual_start = serializers.DateTimeField(allow_null=True)
    actual_end = serializers.DateTimeField(allow_null=True)


class LocationInput(StrictSerializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True, default=None)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True, default=None)


class ShiftStartNowApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"POST": (WRITE_SHIFTS,)}
    OutputSerializer = ShiftOutput

    class InputSerializer(LocationInput):
        specialization = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)

    @extend_schema(
        summary="Start a shift now, without a planned one (in one of the caller's specializations)",
        request=InputSerializer,
        responses={201: ShiftOutput},
        examples=[
            OpenApiExample("plumber", value={"specialization": "plumber", "latitude": 41.2995, "longitude": 69.2765})
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = services.shift_start(executor_id=request.user.pk, **data.validated_data)
        return Response(self.OutputSerializer(shift).data, status=201)


class ShiftStartApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"PUT": (WRITE_SHIFTS,)}
    OutputSerializer = ShiftOutput
    InputSerializer = LocationInput

    @extend_schema(
        summary="Start one's planned shift (with location)",
        request=LocationInput,
        examples=[OpenApiExample("here", value={"latitude": 41.2995, "longitude": 69.2765})],
    )
    def put(self, request, shift_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = services.shift_start(executor_id=request.user.pk, shift_id=shift_id, **data.validated_data)
        return Response(self.OutputSerializer(shift).data)


class ShiftEndApi(Api):
    permission_classes = (IsAuthenticated, HasScopes)
    required_scopes = {"PUT": (WRITE_SHIFTS,)}
    OutputSerializer = ShiftOutput
    InputSerializer = LocationInput

    @extend_schema(
        summary="End one's shift (with location)",
        request=LocationInput,
        examples=[OpenApiExample("here", value={"latitude": 41.3575, "longitude": 69.287})],
    )
    def put(self, request, shift_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = services.shift_end(executor_id=request.user.pk, shift_id=shift_id, **data.validated_data)
        return Response(self.OutputSerializer(shift).data)
