"""Factories for cross-app tests: people with roles, and API clients signed in as them with real tokens."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from ukbot.users import services as users

PASSWORD = "correct horse battery staple"
ROLES = ["admin", "manager", "executor", "inspector", "applicant"]


def person(
    role: str | None = None,
    *,
    profile: bool = True,
    username: str | None = None,
    account_fields: dict | None = None,
    **profile_fields,
) -> int:
    """Create an account with PASSWORD; with a profile (and ``role``) unless ``profile=False``; return its id."""
    account = get_user_model().objects.create_user(
        username=username or f"{role or 'u'}-{uuid.uuid4().hex[:10]}", password=PASSWORD, **(account_fields or {})
    )
    if profile:
        users.profile_create(account_id=account.pk, **profile_fields)
        if role:
            users.role_grant(account_id=account.pk, role=role, granted_by=None)
    return account.pk


def signed_in(account_id: int, **client_kwargs) -> APIClient:
    """An API client (English answers) holding a fresh access token of the account, got through /auth/login."""
    username = get_user_model().objects.get(pk=account_id).username
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", **client_kwargs)
    tokens = client.post("/api/v1/auth/login", {"username": username, "password": PASSWORD}, format="json")
    assert tokens.status_code == 200, tokens.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['data']['access']}")
    return client


def executor(*trades: str, level: int = 3) -> int:
    """A verified executor (the executor role, approved) of ``trades``; return the account id."""
    account_id = person("executor")
    users.profile_approve(account_id=account_id)
    for trade in trades:
        users.specialization_set(account_id=account_id, key=trade, level=level)
    return account_id
