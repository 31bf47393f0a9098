"""DRF authentication by bearer JWT whose session is still open (a revoked session's access tokens stop at once)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication

from ukbot.auth.selectors import account_and_session
from ukbot.core.api.fast import check_token_user, token_user_id
from ukbot.core.errors import AppError


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's checks of the account (:func:`~ukbot.core.api.fast.check_token_user`), with the token's session
    (``sid``) read in the same statement as the account.

    A session ended by a sign-out, a password change or reset, a block, a withdrawn role or a forgotten person
    stops its access tokens on the very next request (SESSION_REVOKED), not at the next refresh; so does a token
    whose role is no longer the one its session carries."""

    www_authenticate_realm = "api"

    def get_user(self, validated_token):
        account_id = token_user_id(validated_token)
        user, open_session = account_and_session(
            account_id=account_id, session_id=validated_token.get("sid"), role=validated_token.get("role")
        )
        check_token_user(user, validated_token)
        if not open_session:
            raise AppError("SESSION_REVOKED", _("This session has ended. Sign in again."))
        return user
