"""DRF authentication by bearer JWT whose session is still open (a revoked session's access tokens stop at once)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from ukbot.auth.selectors import account_and_session
from ukbot.core.errors import AppError


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's checks of the account (it exists and is active), with the token's session (``sid``) read in the
    same statement as the account."""

    www_authenticate_realm = "api"

    def get_user(self, validated_token):
        try:
            account_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user, open_session = account_and_session(account_id=account_id, session_id=validated_token.get("sid"))
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if not open_session:
            raise AppError("SESSION_REVOKED", _("This session has ended. Sign in again."))
        return user
