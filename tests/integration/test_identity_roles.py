"""auth × users: token claims follow roles; withdrawing the role a session was opened with ends that session."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from ukbot.users import services as users

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def person():
    account = get_user_model().objects.create_user(username=f"p-{uuid.uuid4().hex[:8]}", password=PASSWORD)
    users.profile_create(account_id=account.pk, first_name="Dilnoza")
    return account


def _login(account) -> dict:
    response = APIClient().post(
        "/api/v1/auth/login", {"username": account.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def _refresh(tokens) -> tuple[int, dict]:
    response = APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    return response.status_code, response.json()


def _claims(tokens) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client.get("/api/v1/auth/validate").json()["data"]


def test_claims_carry_roles_and_the_scopes_of_the_active_role(person):
    users.role_grant(account_id=person.pk, role="executor", granted_by=None)
    users.role_grant(account_id=person.pk, role="applicant", granted_by=None)

    claims = _claims(_login(person))

    assert claims["role"] == "executor"
    assert claims["roles"] == ["applicant", "executor"]
    assert "write:requests" in claims["scopes"]
    assert "admin:users" not in claims["scopes"]


def test_a_role_change_shows_at_the_next_refresh(person):
    users.role_grant(account_id=person.pk, role="applicant", granted_by=None)
    tokens = _login(person)
    users.role_grant(account_id=person.pk, role="manager", granted_by=None)
    users.active_role_switch(account_id=person.pk, role="manager")

    assert _claims(tokens)["role"] == "applicant"  # the access token in hand is unchanged
    status, body = _refresh(tokens)
    assert status == 200
    assert _claims(body["data"])["role"] == "manager"


def test_a_session_opened_as_executor_ends_when_the_executor_role_is_withdrawn(person):
    users.role_grant(account_id=person.pk, role="executor", granted_by=None)
    users.role_grant(account_id=person.pk, role="applicant", granted_by=None)
    tokens = _login(person)

    users.role_revoke(account_id=person.pk, role="executor", revoked_by=None)
    status, body = _refresh(tokens)

    assert status == 401
    assert body["error"]["code"] == "SESSION_REVOKED"
    assert _login(person)["session_id"] != tokens["session_id"]  # signing in again works, as an applicant


def test_a_blocked_person_cannot_sign_in_and_loses_open_sessions_at_once(person):
    users.role_grant(account_id=person.pk, role="applicant", granted_by=None)
    tokens = _login(person)
    users.profile_block(account_id=person.pk)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    refused = client.get("/api/v1/auth/validate")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ACCOUNT_BLOCKED")

    login = APIClient().post("/api/v1/auth/login", {"username": person.username, "password": PASSWORD}, format="json")
    assert login.status_code == 403
    assert login.json()["error"]["code"] == "ACCOUNT_BLOCKED"
    status, body = _refresh(tokens)
    assert (status, body["error"]["code"]) == (403, "ACCOUNT_BLOCKED")
