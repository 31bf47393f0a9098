"""DRF authentication by bearer JWT whose session is still open (a revoked session's access tokens stop at once)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication

from ukbot.auth.selectors import account_and_session
from ukbot.core.api.fast import check_token_user, token_user_id
from ukbot.core.errors import AppError
from ukbot.users import public as users_public


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt's checks of the account (:func:`~ukbot.core.api.fast.check_token_user`), with the token's session
    (``sid``) read in the same statement as the account.

    A session ended by a sign-out, a password change or reset, a block, a withdrawn role or a forgotten person
    stops its access tokens on the very next request (SESSION_REVOKED), not at the next refresh; so does a token
    whose role is no longer the one its session carries. A blocked person is told so (ACCOUNT_BLOCKED, 403, as
    at refresh and sign-in): signing in again would not help them."""

    www_authenticate_realm = "api"

    def get_user(self, validated_token):
        account_id = token_user_id(validated_token)
        user, open_session = account_and_session(
            account_id=account_id, session_id=validated_token.get("sid"), role=validated_token.get("role")
        )
        check_token_user(user, validated_token)
        if not open_session:
            # the rare path: one more read to say why (the block is checked now, not when the session ended)
            if users_public.access_profile(account_id=account_id).status == "blocked":
                raise AppError("ACCOUNT_BLOCKED", _("This account is blocked. Contact the management company."))
            raise AppError("SESSION_REVOKED", _("This session has ended. Sign in again."))
        return user
