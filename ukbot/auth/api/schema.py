"""drf-spectacular: describe SessionJWTAuthentication as the bearer-JWT security scheme of the API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class SessionJWTScheme(OpenApiAuthenticationExtension):
    target_class = "ukbot.auth.api.authentication.SessionJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from /api/v1/auth/login, /auth/refresh, /auth/telegram or /auth/mfa/verify.",
        }
