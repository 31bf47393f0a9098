"""`/api/v1/auth/mfa/…`: set up and turn off two-step sign-in (TOTP with backup codes), and finish a sign-in."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from ukbot.auth import mfa
from ukbot.auth.api.views import TokensOutput
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.throttling import SIGN_IN
from ukbot.core.api.views import Api
from ukbot.core.client_address import client_ip


class CodeInput(StrictSerializer):
    code = serializers.CharField(
        max_length=32, help_text="Six digits from the authenticator app, or one of the backup codes."
    )


class AuthMfaEnableApi(Api):
    rate_buckets = (SIGN_IN,)
    permission_classes = (IsAuthenticated,)
    error_statuses = (409,)  # two-step sign-in already on

    class OutputSerializer(serializers.Serializer):
        otpauth_uri = serializers.CharField(help_text="otpauth://totp/… for authenticator apps; holds the secret.")
        qr_png_base64 = serializers.CharField(help_text="The same URI as a QR code: a PNG image, base64-encoded.")
        device_id = serializers.IntegerField()

    class InputSerializer(StrictSerializer):
        password = serializers.CharField(
            max_length=256,
            trim_whitespace=False,
            required=False,
            help_text="The current password; may be left out within 5 minutes of signing in.",
        )

    @extend_schema(
        summary="Start setting up two-step sign-in: a new authenticator secret, active once confirmed with a code; "
        "needs the password unless signed in within the last 5 minutes",
        request=InputSerializer,
        examples=[
            OpenApiExample("password", request_only=True, value={"password": "s3cret-pass"}),
            OpenApiExample(
                "enrolment",
                response_only=True,
                value={
                    "otpauth_uri": "otpauth://totp/UK%20Management%20Bot%3Adispatcher1?secret=JBSWY3DPEHPK3PXP"
                    "&algorithm=SHA1&digits=6&period=30&issuer=UK%20Management%20Bot",
                    "qr_png_base64": "iVBORw0KGgoAAAANSUhEUgAA…",
                    "device_id": 7,
                },
            ),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = mfa.mfa_enable_start(
            account_id=request.user.pk, session_id=request.auth["sid"], password=data.validated_data.get("password")
        )
        return Response(self.OutputSerializer(enrolment).data)


class AuthMfaEnableConfirmApi(Api):
    rate_buckets = (SIGN_IN,)
    permission_classes = (IsAuthenticated,)
    error_statuses = (409,)  # nothing to confirm, or already on
    InputSerializer = CodeInput

    class OutputSerializer(serializers.Serializer):
        backup_codes = serializers.ListField(
            child=serializers.CharField(), help_text="Ten single-use codes for when the phone is lost; shown once."
        )

    @extend_schema(
        summary="Confirm the new authenticator with a code: two-step sign-in is on, the other sessions are signed "
        "out and the person is told; returns backup codes once",
        request=InputSerializer,
        examples=[
            OpenApiExample("code", request_only=True, value={"code": "492039"}),
            OpenApiExample("backup codes", response_only=True, value={"backup_codes": ["k3j5xq7a", "p2m8d4wz", "…"]}),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = mfa.mfa_enable_confirm(
            account_id=request.user.pk, code=data.validated_data["code"], session_id=request.auth["sid"]
        )
        return Response(self.OutputSerializer({"backup_codes": codes}).data)


class AuthMfaDisableApi(Api):
    rate_buckets = (SIGN_IN,)
    permission_classes = (IsAuthenticated,)
    error_statuses = (409,)  # two-step sign-in not on

    class InputSerializer(CodeInput):
        password = serializers.CharField(max_length=256, trim_whitespace=False, help_text="The current password.")

    class OutputSerializer(serializers.Serializer):
        mfa_enabled = serializers.BooleanField()

    @extend_schema(
        summary="Turn two-step sign-in off; needs the password and a current code from the app or a backup code",
        request=InputSerializer,
        examples=[OpenApiExample("code", request_only=True, value={"code": "492039", "password": "s3cret-pass"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mfa.mfa_disable(
            account_id=request.user.pk, code=data.validated_data["code"], password=data.validated_data["password"]
        )
        return Response(self.OutputSerializer({"mfa_enabled": False}).data)


class AuthMfaVerifyApi(Api):
    rate_buckets = (SIGN_IN,)
    authentication_classes = ()
    permission_classes = (AllowAny,)
    error_statuses = (401, 403)  # a wrong code or challenge; a blocked account

    class InputSerializer(StrictSerializer):
        challenge = serializers.CharField(max_length=1024, help_text="From /auth/login.")
        code = serializers.CharField(
            max_length=32, help_text="Six digits from the authenticator app, or one of the backup codes."
        )

    OutputSerializer = TokensOutput

    @extend_schema(
        summary="Finish a sign-in with the challenge from /auth/login and a code; returns tokens like /auth/login",
        request=InputSerializer,
        responses={200: OutputSerializer},
        examples=[
            OpenApiExample("code", request_only=True, value={"challenge": "eyJhIjo…:1vX…:abc…", "code": "492039"})
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = mfa.login_with_mfa(
            challenge=data.validated_data["challenge"],
            code=data.validated_data["code"],
            ip=client_ip(request),
            device=request.headers.get("User-Agent", ""),
        )
        return Response(self.OutputSerializer(tokens).data)
