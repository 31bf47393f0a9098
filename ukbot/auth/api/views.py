"""`/api/v1/auth/…`: sign in, refresh, sign out, the caller's claims and sessions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from ukbot.auth import selectors, services
from ukbot.auth.mfa import MfaChallenge
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.throttling import SIGN_IN
from ukbot.core.api.views import Api
from ukbot.core.client_address import client_ip


class TokensOutput(serializers.Serializer):
    access = serializers.CharField(help_text="JWT for the Authorization: Bearer header; lives ACCESS_TOKEN_MINUTES.")
    refresh = serializers.CharField(help_text="Opaque; trade it once at /auth/refresh for a new pair.")
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the access token lives.")
    session_id = serializers.UUIDField()


class MfaChallengeOutput(serializers.Serializer):
    mfa_required = serializers.BooleanField(help_text="Always true: send a code to /auth/mfa/verify.")
    challenge = serializers.CharField(help_text="Signed; works once, with a code, at /auth/mfa/verify.")
    expires_in = serializers.IntegerField(help_text="Seconds the challenge lives.")


class AuthLoginApi(Api):
    rate_buckets = (SIGN_IN,)
    rate_username_field = "username"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    error_statuses = (401, 403)  # wrong credentials; a blocked account

    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    OutputSerializer = TokensOutput

    @extend_schema(
        summary="Sign in with a username and password (accounts with two-step sign-in get a challenge)",
        request=InputSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginResult",
                serializers=[TokensOutput, MfaChallengeOutput],
                resource_type_field_name=None,
            )
        },
        examples=[OpenApiExample("credentials", value={"username": "dispatcher1", "password": "s3cret-pass"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.login_with_password(
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            ip=client_ip(request),
            device=request.headers.get("User-Agent", ""),
        )
        if isinstance(result, MfaChallenge):
            return Response(MfaChallengeOutput(result).data)
        return Response(self.OutputSerializer(result).data)


class AuthRefreshApi(Api):
    rate_buckets = (SIGN_IN,)
    authentication_classes = ()
    permission_classes = (AllowAny,)
    error_statuses = (401, 403)  # an expired, reused or revoked refresh token; a blocked account

    class InputSerializer(StrictSerializer):
        refresh = serializers.CharField(max_length=200)

    OutputSerializer = TokensOutput

    @extend_schema(
        summary="Trade a refresh token for a new pair (each refresh token works once)",
        examples=[OpenApiExample("refresh", value={"refresh": "<the refresh token from the last sign-in or refresh>"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.session_refresh(refresh_token=data.validated_data["refresh"])
        return Response(self.OutputSerializer(tokens).data)


class AuthLogoutApi(Api):
    permission_classes = (IsAuthenticated,)

    class OutputSerializer(serializers.Serializer):
        session_id = serializers.UUIDField()
        revoked = serializers.BooleanField()

    @extend_schema(summary="Sign out: end the session of the access token used", request=None)
    def post(self, request):
        session_id = request.auth["sid"]
        services.session_logout(account_id=request.user.pk, session_id=session_id)
        return Response(self.OutputSerializer({"session_id": session_id, "revoked": True}).data)


class AuthPasswordChangeApi(Api):
    rate_buckets = (SIGN_IN,)
    permission_classes = (IsAuthenticated,)

    class InputSerializer(StrictSerializer):
        old_password = serializers.CharField(max_length=256, trim_whitespace=False)
        new_password = serializers.CharField(max_length=256, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        sessions_ended = serializers.IntegerField(help_text="How many other sessions (devices) were signed out.")

    @extend_schema(
        summary="Change the password; every other session is signed out at once, this one stays",
        request=InputSerializer,
        examples=[
            OpenApiExample("passwords", request_only=True, value={"old_password": "s3cret", "new_password": "n3w…"})
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ended = services.password_change(
            account_id=request.user.pk,
            session_id=request.auth["sid"],
            old_password=data.validated_data["old_password"],
            new_password=data.validated_data["new_password"],
        )
        return Response(self.OutputSerializer({"sessions_ended": ended}).data)


class AuthValidateApi(Api):
    permission_classes = (IsAuthenticated,)

    class OutputSerializer(serializers.Serializer):
        account_id = serializers.IntegerField()
        session_id = serializers.UUIDField()
        role = serializers.CharField(allow_null=True)
        roles = serializers.ListField(child=serializers.CharField())
        scopes = serializers.ListField(child=serializers.CharField())
        expires_at = serializers.IntegerField(help_text="Unix time the access token expires.")

    @extend_schema(summary="The caller's claims, from a valid access token")
    def get(self, request):
        token = request.auth
        claims = {
            "account_id": int(token["sub"]),
            "session_id": token["sid"],
            "role": token.get("role"),
            "roles": token.get("roles", []),
            "scopes": token.get("scopes", []),
            "expires_at": token["exp"],
        }
        return Response(self.OutputSerializer(claims).data)


class SessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    device = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    method = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    current = serializers.BooleanField()


class AuthSessionListApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = SessionOutput

    @extend_schema(
        summary="The caller's open sessions (devices), most recently used first",
        responses={200: SessionOutput(many=True)},
    )
    def get(self, request):
        current = request.auth["sid"]
        sessions = [
            {
                **{f: getattr(s, f) for f in ("id", "device", "ip", "method", "created_at", "last_used_at")},
                "current": str(s.id) == current,
            }
            for s in selectors.sessions_open_for(account_id=request.user.pk)
        ]
        return Response(self.OutputSerializer(sessions, many=True).data)


class AuthSessionRevokeApi(Api):
    permission_classes = (IsAuthenticated,)

    class OutputSerializer(serializers.Serializer):
        session_id = serializers.UUIDField()
        revoked = serializers.BooleanField()

    @extend_schema(summary="End one of the caller's sessions (for example a lost phone)")
    def delete(self, request, session_id):
        services.session_revoke(account_id=request.user.pk, session_id=str(session_id))
        return Response(self.OutputSerializer({"session_id": session_id, "revoked": True}).data)


class AuthTelegramApi(Api):
    rate_buckets = (SIGN_IN,)
    authentication_classes = ()
    permission_classes = (AllowAny,)
    error_statuses = (401, 403)  # data not signed by the bot or too old; a blocked account

    class InputSerializer(StrictSerializer):
        widget = serializers.DictField(
            child=serializers.CharField(max_length=512, allow_blank=True),
            required=False,
            help_text="The fields the Telegram Login Widget gave the page, with `hash`.",
        )
        init_data = serializers.CharField(
            max_length=4096, required=False, help_text="A Mini App's `Telegram.WebApp.initData`, as is."
        )

        def validate(self, attrs):
            if ("widget" in attrs) == ("init_data" in attrs):
                raise serializers.ValidationError(_("Send either widget or init_data."))
            widget = attrs.get("widget")
            if widget is not None:
                missing = [name for name in ("id", "auth_date", "hash") if not widget.get(name)]
                if missing:
                    raise serializers.ValidationError(
                        {"widget": [_("Missing fields: %(names)s.") % {"names": ", ".join(missing)}]}
                    )
                if not widget["id"].isdigit() or not widget["auth_date"].isdigit():
                    raise serializers.ValidationError({"widget": [_("id and auth_date must be numbers.")]})
            return attrs

    OutputSerializer = TokensOutput

    @extend_schema(
        summary="Sign in with Telegram (Login Widget or Mini App); a new Telegram user becomes an applicant; "
        "accounts with two-step sign-in get a challenge",
        request=InputSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="TelegramLoginResult",
                serializers=[TokensOutput, MfaChallengeOutput],
                resource_type_field_name=None,
            )
        },
        examples=[
            OpenApiExample(
                "Login Widget",
                value={
                    "widget": {
                        "id": "123456789",
                        "first_name": "Aziz",
                        "username": "aziz",
                        "auth_date": "1764000000",
                        "hash": "<hex HMAC from Telegram>",
                    }
                },
            ),
            OpenApiExample("Mini App", value={"init_data": "query_id=…&user=%7B%22id%22%3A123…%7D&auth_date=…&hash=…"}),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.login_with_telegram(
            widget=data.validated_data.get("widget"),
            init_data=data.validated_data.get("init_data"),
            ip=client_ip(request),
            device=request.headers.get("User-Agent", ""),
        )
        if isinstance(result, MfaChallenge):
            return Response(MfaChallengeOutput(result).data)
        return Response(self.OutputSerializer(result).data)
