"""Input and errors (issue 15): what fuzzing found answering 500, and refusals that disagreed, through HTTP.

Each test sends what a careless or hostile client can send and checks the answer is a 4xx (or 503) in the error
envelope naming what was wrong, never INTERNAL_ERROR.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from functools import cache

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, connections
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.test import APIClient

from tests.factories import executor, person, signed_in
from ukbot.core.api.errors import server_error
from ukbot.core.api.pagination import PagePagination
from ukbot.requests import services as requests
from ukbot.requests.statuses import Actor
from ukbot.users.models import Profile
from ukbot.users.services.profiles import PROFILE_SETTINGS_MAX_BYTES

BIGINT_MAX = 2**63 - 1


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


def _fields(error: dict) -> set:
    return {detail["field"] for detail in error["details"]}


# --- 1. a page number past PostgreSQL's bigint -----------------------------------------------------------------


@cache
def _list_paths() -> list[str]:
    """Every paginated list of the API, as the OpenAPI document names them (a new list is tested here too)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if any(p["name"] == "page" for p in operations.get("get", {}).get("parameters", []))
    )


def test_the_lists_are_found_in_the_schema(db):
    assert {"/api/v1/requests", "/api/v1/users", "/api/v1/requests/{number}/history"} <= set(_list_paths())


@pytest.fixture
def admin_and_request(db):
    admin = person("admin")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    return signed_in(admin), number


@pytest.mark.parametrize("page", [BIGINT_MAX, BIGINT_MAX + 1, 10**20, 10**40])
def test_a_page_past_the_bigint_range_is_past_the_end_of_every_list(admin_and_request, page):
    """Any page past the end answers NOT_FOUND "Invalid page." (as ``?page=1000`` always has), however large."""
    client, number = admin_and_request
    plumber = signed_in(executor("plumber"))
    for path in _list_paths():
        url = path.format(number=number)
        caller = plumber if path.endswith("/pool") else client  # the pool is the executors' list
        for query in (f"page={page}", f"page={page}&per_page=100", f"page={page}&ordering=-pk"):
            error = _error(caller.get(f"{url}?{query}"), 404, "NOT_FOUND")
            assert error["message"] == "Invalid page.", (url, query)


def test_a_page_past_the_bigint_range_on_the_requests_orm_path(admin_and_request):
    client, _number = admin_and_request
    # overdue is a filter the one-statement page does not cover: the ORM's path answers
    error = _error(client.get(f"/api/v1/requests?overdue=false&page={10**20}"), 404, "NOT_FOUND")
    assert error["message"] == "Invalid page."


@pytest.mark.parametrize("distinct", [False, True], ids=["one-query page", "DRF's page"])
def test_the_paginator_refuses_a_page_past_the_bigint_range_on_both_paths(db, distinct):
    person("applicant")
    queryset = get_user_model().objects.order_by("pk")
    if distinct:
        queryset = queryset.distinct()  # not a plain list of rows: DRF's own path
    for page in (BIGINT_MAX, 10**20):
        request = Request(RequestFactory().get("/api/v1/x", {"page": page, "per_page": 100}))
        with pytest.raises(NotFound):
            PagePagination().paginate_queryset(queryset, request)


# --- 2. deeply nested JSON -------------------------------------------------------------------------------------

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def test_deeply_nested_json_is_a_parse_error_for_anyone(db):
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    error = _error(anonymous.post("/api/v1/auth/login", DEEP, content_type="application/json"), 400, "PARSE_ERROR")
    assert error["message"] == "Malformed request."

    signed = signed_in(person("applicant"))
    _error(signed.patch("/api/v1/users/me", DEEP, content_type="application/json"), 400, "PARSE_ERROR")
    # shallow JSON still parses
    assert signed.patch("/api/v1/users/me", {"bio": "Hi"}, format="json").status_code == 200


# --- 3. date-times with an offset PostgreSQL refuses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/api/v1/requests", "created_to", "2026-01-01T00:00:00-18:00"),
        ("/api/v1/requests", "created_from", "2026-01-01T00:00:00+16:00"),
        ("/api/v1/requests", "created_to", "2026-01-01T00:00:00-16:00&overdue=false"),
        ("/api/v1/requests/pool", "created_to", "2026-01-01T00:00:00-18:00"),
        ("/api/v1/notifications/history", "created_to", "2026-01-01T00:00:00-18:00"),
        ("/api/v1/notifications/history", "created_from", "2026-01-01T00:00:00+23:59"),
    ],
)
def test_a_date_time_offset_beyond_postgresql_is_a_validation_error(admin_and_request, path, field, value):
    client, _number = admin_and_request
    if path.endswith("/pool"):
        client = signed_in(executor("plumber"))  # the pool is the executors' list
    error = _error(client.get(f"{path}?{field}={value.replace('+', '%2B')}"), 400, "VALIDATION_ERROR")
    assert _fields(error) == {field}


def test_a_date_time_offset_postgresql_takes_still_filters(admin_and_request):
    client, number = admin_and_request
    for value in ("2999-01-01T00:00:00-15:59", "2999-01-01T00:00:00%2B15:59"):
        response = client.get(f"/api/v1/requests?created_to={value}")
        assert response.status_code == 200, response.content
        assert [r["number"] for r in response.json()["data"]] == [number]


# --- 4. notification template buttons that are not rows -------------------------------------------------------

TEMPLATE = {"event_type": "request.created", "channel": "telegram", "body": "Заявка <b>{number}</b>"}


@pytest.mark.parametrize("buttons", [[None], True, 1, "x", [1], {"a": 1}])
def test_template_buttons_that_are_not_rows_are_refused_naming_buttons(db, buttons):
    admin = signed_in(person("admin"))
    saved = admin.get("/api/v1/notifications/templates?search=request.created").json()["data"][0]

    answers = [
        admin.post(
            "/api/v1/notifications/templates", {**TEMPLATE, "language": "uz", "buttons": buttons}, format="json"
        ),
        admin.patch(f"/api/v1/notifications/templates/{saved['id']}", {"buttons": buttons}, format="json"),
        admin.post("/api/v1/notifications/templates/preview", {**TEMPLATE, "buttons": buttons}, format="json"),
    ]

    for response in answers:
        assert _fields(_error(response, 400, "VALIDATION_ERROR")) == {"buttons"}
    after = admin.get("/api/v1/notifications/templates?search=request.created").json()["data"][0]
    assert after == saved


# --- 5. profile settings PostgreSQL refuses, and their size ----------------------------------------------------


def _settings_of(client) -> dict:
    account_id = client.get("/api/v1/users/me").json()["data"]["id"]
    return Profile.objects.get(account_id=account_id).settings


@pytest.mark.parametrize(
    "settings_value",
    [{"a\u0000": 1}, {"a": "b\u0000c"}, {"a": [{"deep": ["\u0000"]}]}],
    ids=["key", "value", "nested"],
)
def test_a_nul_character_in_profile_settings_is_refused(db, settings_value):
    client = signed_in(person("applicant"))

    error = _error(
        client.patch("/api/v1/users/me", {"settings": settings_value}, format="json"), 400, "VALIDATION_ERROR"
    )

    assert _fields(error) == {"settings"}
    assert _settings_of(client) == {}


def test_profile_settings_have_a_size_limit_that_the_error_names(db):
    client = signed_in(person("applicant"))
    fits = {"notes": "x" * (PROFILE_SETTINGS_MAX_BYTES - 20)}
    too_big = {"notes": "x" * PROFILE_SETTINGS_MAX_BYTES}

    assert client.patch("/api/v1/users/me", {"settings": fits}, format="json").status_code == 200
    error = _error(client.patch("/api/v1/users/me", {"settings": too_big}, format="json"), 400, "VALIDATION_ERROR")

    assert error["details"] == [
        {"field": "settings", "message": f"Settings take at most {PROFILE_SETTINGS_MAX_BYTES} bytes as JSON."}
    ]
    assert PROFILE_SETTINGS_MAX_BYTES == 16 * 1024
    assert _settings_of(client) == fits


# --- 6. Telegram sign-in not configured ------------------------------------------------------------------------


def test_telegram_sign_in_not_configured_is_logged_as_a_warning_without_a_traceback(db, settings, caplog):
    settings.TELEGRAM_BOT_TOKEN = ""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")

    with caplog.at_level(logging.INFO):
        response = client.post("/api/v1/auth/telegram", {"init_data": "user=%7B%7D&hash=00"}, format="json")

    _error(response, 503, "SERVICE_UNAVAILABLE")
    ours = [r for r in caplog.records if r.name.startswith("ukbot")]
    assert [(r.levelno, r.error_code) for r in ours] == [(logging.WARNING, "SERVICE_UNAVAILABLE")]
    assert not [r for r in caplog.records if r.exc_info]


# --- 7. PostgreSQL or Redis out of reach -----------------------------------------------------------------------


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def _outage(response) -> None:
    error = _error(response, 503, "SERVICE_UNAVAILABLE")
    assert response["Retry-After"] == "30"
    assert error["details"] == [{"field": "retry_after", "message": "30"}]


def test_a_database_out_of_reach_is_service_unavailable(transactional_db, caplog):
    client = signed_in(person("applicant"))
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_unused_port()))
    try:
        with caplog.at_level(logging.INFO):
            response = client.get("/api/v1/users/me")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    _outage(response)
    assert not [r for r in caplog.records if r.name.startswith("ukbot") and r.exc_info]
    assert client.get("/api/v1/users/me").status_code == 200  # back once the database is


def test_redis_out_of_reach_is_service_unavailable(db, settings):
    dead = f"redis://127.0.0.1:{_unused_port()}/9"
    settings.REDIS_URL = dead
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": dead}}
    answers = []

    def sign_in() -> None:
        # a thread of its own: the sign-in lockout keeps one Redis client per thread, made from REDIS_URL
        try:
            client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
            answers.append(client.post("/api/v1/auth/login", {"username": "nobody", "password": "x"}, format="json"))
        finally:
            connections.close_all()

    worker = threading.Thread(target=sign_in)
    worker.start()
    worker.join(timeout=60)

    # sign-in counts every attempt in Redis before it checks the password
    [response] = answers
    _outage(response)


def test_an_outage_outside_a_drf_view_is_service_unavailable_too(rf):
    """Django's handler500 (``server_error``) answers an outage raised in a middleware or a plain view alike."""
    request = rf.get("/api/v1/users/me")
    try:
        raise OperationalError("connection to server failed: Connection refused")
    except OperationalError:
        response = server_error(request)  # Django calls it while handling the exception

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = json.loads(response.content)["error"]
    assert (body["code"], body["details"]) == ("SERVICE_UNAVAILABLE", [{"field": "retry_after", "message": "30"}])


# --- 8. CORS preflight of a write with Idempotency-Key ---------------------------------------------------------


def test_a_cors_preflight_allows_the_idempotency_key_header(db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.uz"]

    response = APIClient().options(
        "/api/v1/requests",
        HTTP_ORIGIN="https://app.example.uz",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.uz"
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed


# --- 9. one refusal, one code ----------------------------------------------------------------------------------


def test_assigning_a_cancelled_request_is_an_invalid_transition(db):
    manager = person("manager")
    plumber = executor("plumber")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    requests.request_move(
        number=number, to_status="cancelled", actor_kind=Actor.MANAGER, actor_id=manager, reason="Dup"
    )

    response = signed_in(manager).post(f"/api/v1/requests/{number}/assign", {"executor_id": plumber}, format="json")

    _error(response, 409, "INVALID_TRANSITION")
    assert json.loads(signed_in(manager).get(f"/api/v1/requests/{number}").content)["data"]["status"] == "cancelled"
