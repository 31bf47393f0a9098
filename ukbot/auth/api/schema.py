"""drf-spectacular: describe SessionJWTAuthentication as the bearer-JWT security scheme of the API."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionJWTScheme(OpenApiAuthenticationExtension):
    target_class = "ukbot.auth.api.authentication.SessionJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from /api/v1/auth/login, /auth/refresh, /auth/telegram or /auth/mfa/verify.",
        }
