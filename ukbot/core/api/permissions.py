"""Scope checks from the access token's claims (DESIGN §8). Resource rules live in each app's views/services."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def scopes_of(request: Request | HttpRequest) -> frozenset[str]:
    """The scopes of the caller's access token; none without a token (a browser session of the admin)."""
    token = getattr(request, "auth", None)
    if token is None or not hasattr(token, "get"):
        return frozenset()
    return frozenset(token.get("scopes") or ())


def has_scope(request: Request | HttpRequest, scope: str) -> bool:
    """Whether the caller may act with ``scope``; a superuser signed into the admin may do everything."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_superuser and getattr(request, "auth", None) is None:
        return True
    return scope in scopes_of(request)


class HasScopes(BasePermission):
    """Require the scopes the view names for the method: ``required_scopes = {"GET": ("read:users",)}``.

    A method the mapping does not name needs no scope (the view then applies its own resource rule).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        required = getattr(view, "required_scopes", {}).get(request.method, ())
        return all(has_scope(request, scope) for scope in required)


class ApiDocsReader(BasePermission):
    """Who reads the OpenAPI schema and the API docs: anyone when ``API_DOCS_PUBLIC`` is on (the default with debug
    on), else signed-in staff (``is_staff``: the admin's people) only; the schema maps every endpoint and field."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        from django.conf import settings

        if settings.API_DOCS_PUBLIC:
            return True
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_staff)
