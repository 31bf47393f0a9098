"""A URLconf of tiny test-only views that exercise the API conventions (``@pytest.mark.urls`` selects it)."""

from __future__ import annotations

import threading
import uuid

from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.authentication import JWTAuthentication

from ukbot.core.api.views import Api, ListApi
from ukbot.core.errors import AppError, ConflictError, InvalidTransitionError, NotFoundError, UnprocessableError
from ukbot.core.models import AggregateSequence, IdempotencyKey

ORDER_PREFIX = "order:"


class PublicApi(Api):
    permission_classes = [AllowAny]


class EchoApi(PublicApi):
    def get(self, request):
        return Response({"hello": "world"})

    def post(self, request):
        return Response(request.data)

    def delete(self, request):
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=5)
    qty = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        if attrs["sku"] == "GONE":
            raise serializers.ValidationError("This item is discontinued.")
        return attrs


class AddressSerializer(serializers.Serializer):
    city = serializers.CharField()


class OrderInputSerializer(serializers.Serializer):
    customer = serializers.CharField()
    items = ItemSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    address = AddressSerializer(required=False)

    def validate(self, attrs):
        if attrs["customer"] == "nobody":
            raise serializers.ValidationError("Nobody may not order.")
        return attrs


class OrderCreateApi(PublicApi):
    """Validates a nested body and writes one row per order, so tests can count how often it really ran."""

    InputSerializer = OrderInputSerializer

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_id = f"{ORDER_PREFIX}{uuid.uuid4().hex}"
        AggregateSequence.objects.create(aggregate=order_id)
        return Response(
            {"id": order_id, "customer": serializer.validated_data["customer"]}, status=status.HTTP_201_CREATED
        )


class SlowOrderCreateApi(PublicApi):
    """Signals ``entered`` and waits for ``release``: lets a test send a second request while this one runs."""

    entered = threading.Event()
    release = threading.Event()

    def post(self, request):
        type(self).entered.set()
        type(self).release.wait(timeout=10)
        order_id = f"{ORDER_PREFIX}{uuid.uuid4().hex}"
        AggregateSequence.objects.create(aggregate=order_id)
        return Response({"id": order_id}, status=status.HTTP_201_CREATED)


class BoomApi(PublicApi):
    def get(self, request):
        raise RuntimeError("the flux capacitor melted")

    def post(self, request):
        raise RuntimeError("the flux capacitor melted")


class AppErrorApi(PublicApi):
    def get(self, request, kind):
        match kind:
            case "not-found":
                raise NotFoundError("No such request.")
            case "conflict":
                raise ConflictError("The request was changed meanwhile.")
            case "invalid-transition":
                raise InvalidTransitionError("A new request cannot be closed.", details={"status": "Is new."})
            case "unprocessable":
                raise UnprocessableError("Too late.", details={"due_at": "Must be in the future."})
            case "generic":
                raise AppError("CONFLICT", "Shift overlaps another.", status=409)
        raise AssertionError(kind)


class UnavailableError(APIException):
    status_code = 503
    default_detail = "The planner is asleep."


class DjangoErrorApi(PublicApi):
    def get(self, request, kind):
        match kind:
            case "http404":
                raise Http404("No Request matches the given query.")
            case "does-not-exist":
                IdempotencyKey.objects.get(pk=-1)
            case "permission-denied":
                raise PermissionDenied("staff only")
            case "validation":
                raise ValidationError({"phone": ["Enter a valid phone number."], "__all__": ["Inconsistent."]})
            case "suspicious":
                raise SuspiciousOperation("a forged header")
            case "unavailable":
                raise UnavailableError()
        raise AssertionError(kind)


class PrivateApi(Api):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": request.user.get_username()})


class BasicAuthApi(PrivateApi):
    authentication_classes = [BasicAuthentication]


class JwtAuthApi(PrivateApi):
    authentication_classes = [JWTAuthentication]


class DenyAll(BasePermission):
    def has_permission(self, request, view) -> bool:
        return False


class ForbiddenApi(Api):
    authentication_classes = []
    permission_classes = [DenyAll]

    def get(self, request):
        return Response({})


class OnePerMinute(SimpleRateThrottle):
    rate = "1/min"

    def get_cache_key(self, request, view) -> str:
        return f"test-throttle:{request.headers['X-Test-Id']}"


class ThrottledApi(PublicApi):
    throttle_classes = [OnePerMinute]

    def get(self, request):
        return Response({"ok": True})


class SequenceListApi(ListApi):
    permission_classes = [AllowAny]
    filterset_fields = ["last"]
    search_fields = ["aggregate"]
    ordering_fields = ["aggregate", "last"]

    class OutputSerializer(serializers.Serializer):
        aggregate = serializers.CharField()
        last = serializers.IntegerField()

    def get_queryset(self):
        return AggregateSequence.objects.all()


def plain_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a plain Django view failed")


def plain_forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("staff only")


def plain_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(len(request.POST)))


api_patterns = [
    path("echo/", EchoApi.as_view()),
    path("orders/", OrderCreateApi.as_view()),
    path("slow-orders/", SlowOrderCreateApi.as_view()),
    path("boom/", BoomApi.as_view()),
    path("app-error/<str:kind>/", AppErrorApi.as_view()),
    path("django-error/<str:kind>/", DjangoErrorApi.as_view()),
    path("private/", PrivateApi.as_view()),
    path("basic/", BasicAuthApi.as_view()),
    path("jwt/", JwtAuthApi.as_view()),
    path("forbidden/", ForbiddenApi.as_view()),
    path("throttled/", ThrottledApi.as_view()),
    path("sequences/", SequenceListApi.as_view()),
    path("plain-boom/", plain_boom),
    path("plain-forbidden/", plain_forbidden),
    path("plain-form/", plain_form),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("api/v1/", include(api_patterns)),
    path("plain-boom/", plain_boom),
    path("plain-forbidden/", plain_forbidden),
]

handler400 = "ukbot.core.api.errors.bad_request"
handler403 = "ukbot.core.api.errors.permission_denied"
handler404 = "ukbot.core.api.errors.page_not_found"
handler500 = "ukbot.core.api.errors.server_error"
