"""Data exposure (issue 15): what each person may read and reach, proved through the API and the services."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import PASSWORD, media_bytes, person, signed_in
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


# --- /metrics and the API schema ------------------------------------------------------------------------------


def test_metrics_answer_only_loopback_without_a_token():
    # given no METRICS_TOKEN: a direct call from this machine reads them
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    # but another address, or the world through a proxy on this machine, finds nothing there
    assert APIClient(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    proxied = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").get("/metrics")
    assert proxied.status_code == 404
    assert b"ukbot_http_requests" not in proxied.content


def test_metrics_with_a_token_answer_only_the_bearer(settings):
    settings.METRICS_TOKEN = "scrape-secret-1"
    scraper = APIClient(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-secret-1")

    assert scraper.get("/metrics").status_code == 200
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404  # loopback needs it too
    wrong = APIClient(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-secret-2")
    assert wrong.get("/metrics").status_code == 404


def test_api_schema_and_docs_are_for_staff_unless_made_public(settings):
    settings.API_DOCS_PUBLIC = False
    schema = "/api/v1/schema/"
    # anonymous callers and non-staff people are refused
    assert APIClient().get(schema).status_code == 401
    assert APIClient().get("/api/docs/").status_code in (401, 403)
    assert signed_in(person("applicant")).get(schema).status_code == 403
    # staff read it, signed into the admin
    staff = person("manager")
    get_user_model().objects.filter(pk=staff).update(is_staff=True)
    admin = APIClient()
    admin.force_login(get_user_model().objects.get(pk=staff))
    assert admin.get(schema).status_code == 200
    assert admin.get("/api/docs/").status_code == 200
    # and turned on, anyone reads it (development's default)
    settings.API_DOCS_PUBLIC = True
    assert APIClient().get(schema).status_code == 200


# --- downloads are named by their bytes ---------------------------------------------------------------------


def test_a_png_uploaded_as_html_downloads_as_png():
    # given a PNG uploaded under an HTML name
    owner = signed_in(person("applicant"))
    data = media_bytes("png")
    upload = io.BytesIO(data)
    upload.name = "evil.html"
    created = owner.post("/api/v1/media/upload", {"file": upload}, format="multipart").json()["data"]
    # when it is downloaded
    downloaded = owner.get(created["download_url"])
    # then its type and its name's extension both come from the bytes
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "image/png"
    assert downloaded["Content-Disposition"] == 'attachment; filename="evil.png"'
    assert ".html" not in downloaded["Content-Disposition"]
