"""BodySizeLimitMiddleware: 413 PAYLOAD_TOO_LARGE before any view, by Content-Length or by the streamed body."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from ukbot.core.models import AggregateSequence

pytestmark = pytest.mark.urls("ukbot.core.tests.api_urls")

LIMIT = 1024


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.MAX_REQUEST_BODY_BYTES = LIMIT


@pytest.fixture
def client():
    return Client(headers={"Accept-Language": "en"})


def _order_body(size: int) -> bytes:
    """A valid order whose JSON is exactly ``size`` bytes."""
    skeleton = {"customer": "", "items": [{"sku": "TAP", "qty": 1}]}
    padding = size - len(json.dumps(skeleton).encode())
    return json.dumps({**skeleton, "customer": "x" * padding}).encode()


def _chunked(body: bytes) -> dict:
    # What gunicorn hands over for `Transfer-Encoding: chunked`: no Content-Length, a de-chunked input stream
    # that ends at the end of the body, and wsgi.input_terminated set.
    return {
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
    }


def _assert_too_large(response):
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "PAYLOAD_TOO_LARGE",
            "message": "The request body exceeds the limit of 1024 bytes.",
            "details": [],
            "trace_id": response["X-Request-ID"],
        }
    }


@pytest.mark.django_db
def test_declared_content_length_over_the_limit_is_refused_before_the_view(client):
    response = client.post("/api/v1/orders/", _order_body(LIMIT + 1), content_type="application/json")

    _assert_too_large(response)
    assert AggregateSequence.objects.count() == 0


@pytest.mark.django_db
def test_body_at_the_limit_is_accepted(client):
    response = client.post("/api/v1/orders/", _order_body(LIMIT), content_type="application/json")

    assert response.status_code == 201
    assert AggregateSequence.objects.count() == 1


@pytest.mark.django_db
def test_chunked_body_over_the_limit_is_refused_before_the_view(client):
    response = client.post("/api/v1/orders/", **_chunked(_order_body(LIMIT + 1)))

    _assert_too_large(response)
    assert AggregateSequence.objects.count() == 0


@pytest.mark.django_db
def test_chunked_body_under_the_limit_reaches_the_view_intact(client):
    body = _order_body(LIMIT - 100)

    response = client.post("/api/v1/echo/", **_chunked(body))

    assert response.status_code == 200
    assert response.json() == {"data": json.loads(body)}


def test_limit_applies_outside_the_api_too(client):
    response = client.post("/admin/login/", b"x" * (LIMIT + 1), content_type="application/octet-stream")

    _assert_too_large(response)
