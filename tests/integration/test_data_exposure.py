"""Data exposure (issue 15): what each person may read and reach, proved through the API and the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import PASSWORD, person
from ukbot.core.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


# --- idempotency keys never hold tokens ----------------------------------------------------------------------


def test_a_replayed_refresh_with_its_first_key_is_refused_as_reused_and_no_key_row_holds_a_token():
    # given a signed-in person who refreshes once with an Idempotency-Key
    username = get_user_model().objects.get(pk=person("applicant")).username
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    signed = api.post(
        "/api/v1/auth/login",
        {"username": username, "password": PASSWORD},
        format="json",
        headers={"Idempotency-Key": "login-1"},
    ).json()["data"]
    first = api.post(
        "/api/v1/auth/refresh", {"refresh": signed["refresh"]}, format="json", headers={"Idempotency-Key": "r-1"}
    )
    assert first.status_code == 200
    # when the spent token comes back with the same key
    again = api.post(
        "/api/v1/auth/refresh", {"refresh": signed["refresh"]}, format="json", headers={"Idempotency-Key": "r-1"}
    )
    # then it is judged, not replayed: refused as a reuse, and no key row was written for /auth/
    assert again.status_code == 401
    assert "Idempotent-Replayed" not in again
    assert _error(again)["code"] == "TOKEN_REUSED"
    assert not IdempotencyKey.objects.filter(path__startswith="/api/v1/auth/").exists()
    tokens = (signed["access"], signed["refresh"], first.json()["data"]["access"], first.json()["data"]["refresh"])
    for row in IdempotencyKey.objects.all():
        assert not any(token.encode() in bytes(row.response_body or b"") for token in tokens)
