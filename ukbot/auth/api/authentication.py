"""DRF authentication by bearer JWT whose session is still open (a revoked session's access tokens stop at once)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication

from ukbot.auth.selectors import session_is_open
from ukbot.core.errors import AppError


class SessionJWTAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        session_id = validated_token.get("sid")
        try:
            open_session = bool(session_id) and session_is_open(account_id=user.pk, session_id=session_id)
        except (ValueError, DjangoValidationError):  # not a UUID
            open_session = False
        if not open_session:
            raise AppError("SESSION_REVOKED", _("This session has ended. Sign in again."))
        return user
