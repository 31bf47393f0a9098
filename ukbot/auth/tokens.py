"""Access tokens (JWT, via djangorestframework-simplejwt) and opaque refresh tokens (random, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable

from rest_framework_simplejwt.tokens import AccessToken


def access_token_for(
    *, account_id: int, session_id: uuid.UUID | str, role: str | None, roles: Iterable[str], scopes: Iterable[str]
) -> tuple[str, int]:
    """Sign an access token with the caller's claims; return it and its lifetime in seconds."""
    token = AccessToken()
    token["sub"] = str(account_id)
    token["sid"] = str(session_id)
    token["role"] = role
    token["roles"] = list(roles)
    token["scopes"] = list(scopes)
    return str(token), int(token.lifetime.total_seconds())


def new_refresh_token() -> tuple[str, str]:
    """A fresh refresh token and the hash under which it is stored (the token itself is never stored)."""
    token = secrets.token_urlsafe(48)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
