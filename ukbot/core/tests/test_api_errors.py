"""The error envelope (DESIGN §8) for every error code, through real HTTP requests to tiny test views."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from django.test import Client

from ukbot.core.errors import ERROR_CODES, AppError, NotFoundError
from ukbot.core.logging import JsonFormatter, TraceIdFilter

pytestmark = pytest.mark.urls("ukbot.core.tests.api_urls")


@pytest.fixture
def client():
    # The default language is Russian; these tests read DRF's English messages.
    return Client(headers={"Accept-Language": "en"})


def _error(response) -> dict:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["code", "message", "details", "trace_id"]
    assert body["error"]["trace_id"] == response["X-Request-ID"]
    return body["error"]


# --- VALIDATION_ERROR ------------------------------------------------------------------------------------------


def test_validation_errors_are_flattened_per_field_with_nested_and_list_paths(client):
    # given a body with errors at the top, in a nested object, in a list of objects and in a list of strings
    body = {
        "customer": "",
        "items": [{"sku": "A", "qty": 1}, {"sku": "TOOLONG", "qty": 0}],
        "tags": ["ok", "toolong"],
        "address": {},
    }
    # when it is posted
    response = client.post("/api/v1/orders/", body, content_type="application/json")
    # then each message names its field by path
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"] == "Invalid input."
    assert error["details"] == [
        {"field": "customer", "message": "This field may not be blank."},
        {"field": "items[1].sku", "message": "Ensure this field has no more than 5 characters."},
        {"field": "items[1].qty", "message": "Ensure this value is greater than or equal to 1."},
        {"field": "tags[1]", "message": "Ensure this field has no more than 3 characters."},
        {"field": "address.city", "message": "This field is required."},
    ]


def test_non_field_errors_have_a_null_field_at_the_top_and_the_object_path_inside(client):
    body = {"customer": "nobody", "items": [{"sku": "GONE", "qty": 1}]}

    response = client.post("/api/v1/orders/", body, content_type="application/json")

    assert response.status_code == 400
    assert _error(response)["details"] == [{"field": "items[0]", "message": "This item is discontinued."}]

    body["items"] = [{"sku": "A", "qty": 1}]
    response = client.post("/api/v1/orders/", body, content_type="application/json")

    assert response.status_code == 400
    assert _error(response)["details"] == [{"field": None, "message": "Nobody may not order."}]


def test_messages_follow_the_callers_language():
    russian = Client(headers={"Accept-Language": "ru"})

    invalid = russian.post("/api/v1/orders/", {"customer": "", "items": []}, content_type="application/json")
    missing = russian.get("/api/v1/django-error/http404/")

    assert _error(invalid)["details"] == [{"field": "customer", "message": "Это поле не может быть пустым."}]
    assert _error(missing)["message"] == "Не найдено."  # our catalogue (locale/) comes before Django's


def test_messages_in_uzbek_cover_drf_too():
    uzbek = Client(headers={"Accept-Language": "uz"})

    invalid = uzbek.post("/api/v1/orders/", {"customer": "", "items": []}, content_type="application/json")

    assert _error(invalid)["message"] == "Notoʻgʻri maʼlumot."
    assert _error(invalid)["details"] == [{"field": "customer", "message": "Bu maydon boʻsh boʻlishi mumkin emas."}]


def test_django_validation_error_becomes_validation_error(client):
    response = client.get("/api/v1/django-error/validation/")

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == [
        {"field": "phone", "message": "Enter a valid phone number."},
        {"field": None, "message": "Inconsistent."},
    ]


# --- 400s other than validation -------------------------------------------------------------------------------


def test_malformed_json_is_parse_error(client):
    response = client.post("/api/v1/echo/", '{"customer": ', content_type="application/json")

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "PARSE_ERROR"
    assert error["message"].startswith("JSON parse error - ")
    assert error["details"] == []


def test_suspicious_operation_is_bad_request(client):
    response = client.get("/api/v1/django-error/suspicious/")

    assert response.status_code == 400
    assert _error(response)["code"] == "BAD_REQUEST"
    assert _error(response)["message"] == "Bad request."


# --- 401, 403 -----------------------------------------------------------------------------------------------------


def test_missing_credentials_is_not_authenticated_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/private/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    error = _error(response)
    assert error["code"] == "NOT_AUTHENTICATED"
    assert error["message"] == "Authentication credentials were not provided."


def test_bad_basic_credentials_are_authentication_failed_401(client):
    response = client.get("/api/v1/basic/", headers={"Authorization": "Basic !!!not-base64"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    error = _error(response)
    assert error["code"] == "AUTHENTICATION_FAILED"
    assert error["message"] == "Invalid basic header. Credentials not correctly base64 encoded."


def test_bad_jwt_is_authentication_failed_with_the_libraries_message(client):
    response = client.get("/api/v1/jwt/", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    error = _error(response)
    assert error["code"] == "AUTHENTICATION_FAILED"
    assert error["message"] == "Given token not valid for any token type"
    assert error["details"] == []


def test_denied_permission_is_permission_denied(client):
    response = client.get("/api/v1/forbidden/")

    assert response.status_code == 403
    error = _error(response)
    assert error["code"] == "PERMISSION_DENIED"
    assert error["message"] == "You do not have permission to perform this action."


def test_django_permission_denied_is_permission_denied(client):
    response = client.get("/api/v1/django-error/permission-denied/")

    assert response.status_code == 403
    assert _error(response)["code"] == "PERMISSION_DENIED"


# --- 404 ---------------------------------------------------------------------------------------------------------


def test_app_not_found_error_keeps_its_message(client):
    response = client.get("/api/v1/app-error/not-found/")

    assert response.status_code == 404
    assert _error(response) | {"trace_id": None} == {
        "code": "NOT_FOUND",
        "message": "No such request.",
        "details": [],
        "trace_id": None,
    }


def test_http404_from_a_view_is_not_found_without_leaking_the_lookup(client):
    response = client.get("/api/v1/django-error/http404/")

    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"
    assert _error(response)["message"] == "Not found."


@pytest.mark.django_db
def test_object_does_not_exist_is_not_found(client):
    response = client.get("/api/v1/django-error/does-not-exist/")

    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"
    assert _error(response)["message"] == "Not found."


def test_unknown_api_path_is_a_json_not_found(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"


def test_unknown_path_outside_the_api_is_an_html_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- 405, 406, 415 -----------------------------------------------------------------------------------------------


def test_unsupported_method_is_method_not_allowed_with_allow_header(client):
    response = client.put("/api/v1/echo/", {}, content_type="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, DELETE, HEAD, OPTIONS"
    error = _error(response)
    assert error["code"] == "METHOD_NOT_ALLOWED"
    assert error["message"] == 'Method "PUT" not allowed.'


def test_unacceptable_accept_header_is_not_acceptable_answered_in_json(client):
    response = client.get("/api/v1/echo/", headers={"Accept": "application/xml"})

    assert response.status_code == 406
    error = _error(response)
    assert error["code"] == "NOT_ACCEPTABLE"
    assert error["message"] == "Could not satisfy the request Accept header."


def test_unknown_content_type_is_unsupported_media_type(client):
    response = client.post("/api/v1/echo/", "hello", content_type="text/plain")

    assert response.status_code == 415
    error = _error(response)
    assert error["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert error["message"] == 'Unsupported media type "text/plain" in request.'


# --- 409, 422 from AppError --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code", "message", "details"),
    [
        ("conflict", 409, "CONFLICT", "The request was changed meanwhile.", []),
        (
            "invalid-transition",
            409,
            "INVALID_TRANSITION",
            "A new request cannot be closed.",
            [{"field": "status", "message": "Is new."}],
        ),
        (
            "unprocessable",
            422,
            "UNPROCESSABLE",
            "Too late.",
            [{"field": "due_at", "message": "Must be in the future."}],
        ),
        ("generic", 409, "CONFLICT", "Shift overlaps another.", []),
    ],
)
def test_app_errors_answer_their_code_status_message_and_details(client, kind, status, code, message, details):
    response = client.get(f"/api/v1/app-error/{kind}/")

    assert response.status_code == status
    error = _error(response)
    assert (error["code"], error["message"], error["details"]) == (code, message, details)


def test_app_error_refuses_an_undocumented_code():
    with pytest.raises(ValueError, match="undocumented error code 'TEAPOT'"):
        AppError("TEAPOT", "I am a teapot.")
    with pytest.raises(ValueError, match="undocumented error code 'not_found'"):
        AppError("not_found", "lower case")


def test_app_error_subclass_defaults():
    error = NotFoundError()

    assert (error.code, error.status, error.message, error.details) == ("NOT_FOUND", 404, "Not found.", [])


def test_every_documented_code_is_upper_snake_with_an_error_status_and_a_description():
    for code, info in ERROR_CODES.items():
        assert code == code.upper()
        assert 400 <= info.status <= 599
        assert info.description.endswith(".")


# --- 429 ---------------------------------------------------------------------------------------------------------


def test_too_many_requests_is_rate_limited_with_retry_after(client):
    headers = {"X-Test-Id": uuid.uuid4().hex}
    assert client.get("/api/v1/throttled/", headers=headers).status_code == 200

    response = client.get("/api/v1/throttled/", headers=headers)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    error = _error(response)
    assert error["code"] == "RATE_LIMITED"
    assert error["message"] == "Too many requests. Try again in 60 seconds."
    assert error["details"] == [{"field": "retry_after", "message": "60"}]


# --- 5xx ---------------------------------------------------------------------------------------------------------


def test_other_api_exception_is_named_by_its_status(client):
    response = client.get("/api/v1/django-error/unavailable/")

    assert response.status_code == 503
    assert _error(response)["code"] == "SERVICE_UNAVAILABLE"
    assert _error(response)["message"] == "The planner is asleep."


@pytest.fixture
def json_log():
    """The JSON lines the API error logger writes, through the project's formatter and trace-id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(TraceIdFilter())
    logger = logging.getLogger("ukbot.core.api.errors")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def test_unexpected_exception_in_an_api_view_is_internal_error_logged_with_traceback_and_trace_id(client, json_log):
    # given a caller's request id
    response = client.get("/api/v1/boom/", headers={"X-Request-ID": "req-boom-1"})

    # then the client gets the envelope with that id and nothing about the cause
    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-boom-1"
    assert _error(response) == {
        "code": "INTERNAL_ERROR",
        "message": "Internal server error.",
        "details": [],
        "trace_id": "req-boom-1",
    }
    # and the log has one JSON line with the same id and the traceback
    [line] = json_log()
    assert line["level"] == "ERROR"
    assert line["trace_id"] == "req-boom-1"
    assert line["message"] == "Unhandled error in GET /api/v1/boom/ (BoomApi)"
    assert line["error_code"] == "INTERNAL_ERROR"
    assert "RuntimeError: the flux capacitor melted" in line["exc"]
    assert "Traceback (most recent call last)" in line["exc"]


def test_error_outside_drf_under_api_is_a_json_internal_error():
    client = Client(raise_request_exception=False, headers={"Accept-Language": "en"})

    response = client.get("/api/v1/plain-boom/", headers={"X-Request-ID": "req-plain-1"})

    assert response.status_code == 500
    assert _error(response) == {
        "code": "INTERNAL_ERROR",
        "message": "Internal server error.",
        "details": [],
        "trace_id": "req-plain-1",
    }


def test_error_outside_the_api_is_django_html_page():
    client = Client(raise_request_exception=False)

    response = client.get("/plain-boom/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_django_level_400_and_403_outside_drf_under_api_are_json(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2

    too_many_fields = client.post("/api/v1/plain-form/", {"a": "1", "b": "2", "c": "3"})
    forbidden = client.get("/api/v1/plain-forbidden/")

    assert too_many_fields.status_code == 400
    assert _error(too_many_fields)["code"] == "BAD_REQUEST"
    assert forbidden.status_code == 403
    assert _error(forbidden)["code"] == "PERMISSION_DENIED"


def test_django_level_403_outside_the_api_is_html(client):
    response = client.get("/plain-forbidden/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_generated_trace_id_is_echoed_when_the_caller_sends_none(client):
    response = client.get("/api/v1/app-error/conflict/")

    trace_id = response["X-Request-ID"]
    assert len(trace_id) == 32
    assert _error(response)["trace_id"] == trace_id


def test_a_form_body_is_unsupported_media_type_the_api_reads_json(client):
    # form values are all text, which the strict input could not check against the document's types
    response = client.post("/api/v1/echo/", {"name": "x"})  # Django's test client sends multipart

    assert response.status_code == 415
    assert _error(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    form = client.post("/api/v1/echo/", "name=x", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415


@pytest.mark.urls("ukbot.urls")
@pytest.mark.parametrize("path", ["/api/v1/a%0Ab/", "/api/v1/media/%0A/download", "/api/v1/x%0D%0Ay"])
def test_an_unknown_api_path_with_a_line_break_is_the_json_not_found_in_debug_too(client, settings, path):
    settings.DEBUG = True  # Django's HTML 404 page answers what no route matches

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert _error(response)["code"] == "NOT_FOUND"
