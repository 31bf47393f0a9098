"""The success envelope, pagination, filtering/search/ordering and the trace id, through real HTTP requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.pagination import PageNumberPagination

from ukbot.core.api.fast import one_query
from ukbot.core.api.pagination import PagePagination
from ukbot.core.models import AggregateSequence

pytestmark = pytest.mark.urls("ukbot.core.tests.api_urls")


@pytest.fixture
def client():
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def sequences(db):
    """Five rows: seq-1 … seq-5 with last = 50, 40, 30, 20, 10."""
    AggregateSequence.objects.bulk_create(
        AggregateSequence(aggregate=f"seq-{n}", last=60 - 10 * n) for n in range(1, 6)
    )


def test_object_is_wrapped_in_data(client):
    response = client.get("/api/v1/echo/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"data": {"hello": "world"}}


def test_list_and_scalar_bodies_are_wrapped_too(client):
    assert client.post("/api/v1/echo/", [1, 2], content_type="application/json").json() == {"data": [1, 2]}
    assert client.post("/api/v1/echo/", '"x"', content_type="application/json").json() == {"data": "x"}


def test_an_envelope_shaped_object_is_still_wrapped(client):
    # given a resource that happens to look like an envelope: only paginated lists are left alone
    body: dict[str, Any] = {"data": [], "meta": {}, "links": {}}

    response = client.post("/api/v1/echo/", body, content_type="application/json")

    assert response.json() == {"data": body}


def test_no_content_stays_empty(client):
    response = client.delete("/api/v1/echo/")

    assert response.status_code == 204
    assert response.content == b""


def test_errors_are_not_wrapped(client):
    response = client.get("/api/v1/app-error/conflict/")

    assert list(response.json()) == ["error"]


def test_trace_id_of_the_caller_is_echoed_on_success(client):
    response = client.get("/api/v1/echo/", headers={"X-Request-ID": "req-ok-7"})

    assert response["X-Request-ID"] == "req-ok-7"


def test_malformed_trace_id_is_replaced_with_a_generated_one(client):
    response = client.get("/api/v1/app-error/conflict/", headers={"X-Request-ID": "bad id with spaces"})

    assert response["X-Request-ID"] != "bad id with spaces"
    assert len(response["X-Request-ID"]) == 32
    assert response.json()["error"]["trace_id"] == response["X-Request-ID"]


def test_paginated_list_has_data_meta_and_links_once(client, sequences):
    response = client.get("/api/v1/sequences/?per_page=2&page=2")

    assert response.status_code == 200
    assert response.json() == {
        "data": [{"aggregate": "seq-3", "last": 30}, {"aggregate": "seq-4", "last": 20}],
        "meta": {"total": 5, "page": 2, "per_page": 2},
        "links": {
            "self": "http://testserver/api/v1/sequences/?per_page=2&page=2",
            "next": "http://testserver/api/v1/sequences/?page=3&per_page=2",
            "prev": "http://testserver/api/v1/sequences/?per_page=2",
        },
    }


def test_last_page_has_no_next_link_and_first_page_no_prev(client, sequences):
    last = client.get("/api/v1/sequences/?per_page=2&page=3").json()
    first = client.get("/api/v1/sequences/?per_page=2").json()

    assert last["data"] == [{"aggregate": "seq-5", "last": 10}]
    assert last["links"]["next"] is None
    assert first["links"]["prev"] is None
    assert first["links"]["next"] == "http://testserver/api/v1/sequences/?page=2&per_page=2"


def test_default_page_size_comes_from_settings(client, sequences, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 20}

    body = client.get("/api/v1/sequences/").json()

    assert body["meta"] == {"total": 5, "page": 1, "per_page": 20}
    assert len(body["data"]) == 5


def test_per_page_is_capped_at_api_max_per_page(client, sequences, settings):
    # given a cap of 3
    settings.API_MAX_PER_PAGE = 3
    # when a client asks for 50 per page
    body = client.get("/api/v1/sequences/?per_page=50").json()
    # then it gets 3
    assert body["meta"] == {"total": 5, "page": 1, "per_page": 3}
    assert [row["aggregate"] for row in body["data"]] == ["seq-1", "seq-2", "seq-3"]


def test_page_past_the_end_is_not_found(client, sequences):
    response = client.get("/api/v1/sequences/?page=9")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response.json()["error"]["message"] == "Invalid page."


def test_list_filters_searches_and_orders(client, sequences):
    filtered = client.get("/api/v1/sequences/?last=30").json()
    searched = client.get("/api/v1/sequences/?search=seq-4").json()
    ordered = client.get("/api/v1/sequences/?ordering=last&per_page=2").json()

    assert filtered["data"] == [{"aggregate": "seq-3", "last": 30}]
    assert filtered["meta"]["total"] == 1
    assert searched["data"] == [{"aggregate": "seq-4", "last": 20}]
    assert ordered["data"] == [{"aggregate": "seq-5", "last": 10}, {"aggregate": "seq-4", "last": 20}]
    assert ordered["meta"]["total"] == 5


def test_invalid_filter_value_is_a_validation_error(client, sequences):
    response = client.get("/api/v1/sequences/?last=many")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == [{"field": "last", "message": "Enter a number."}]


@pytest.mark.parametrize("query", ["per_page=2", "per_page=2&page=2", "per_page=2&page=3", "page=last&per_page=2"])
def test_a_page_read_with_its_total_matches_counting_apart(client, sequences, query, monkeypatch):
    # given the same page through the one-query path and through DRF's count-then-read path
    fast = client.get(f"/api/v1/sequences/?{query}").json()
    monkeypatch.setattr(PagePagination, "paginate_queryset", PageNumberPagination.paginate_queryset)
    slow = client.get(f"/api/v1/sequences/?{query}").json()

    # then rows, totals and links are the same
    assert fast == slow


def test_a_page_and_its_total_areone_query(client, sequences, django_assert_num_queries):
    with django_assert_num_queries(1):
        body = client.get("/api/v1/sequences/?per_page=2&page=2").json()

    assert body["meta"] == {"total": 5, "page": 2, "per_page": 2}
    assert [row["aggregate"] for row in body["data"]] == ["seq-3", "seq-4"]


def test_an_empty_list_is_an_empty_first_page(client, db):
    body = client.get("/api/v1/sequences/").json()

    assert body["data"] == []
    assert body["meta"] == {"total": 0, "page": 1, "per_page": 20}


def test_a_distinct_list_is_counted_apart():
    # COUNT(*) OVER () counts rows before DISTINCT: such a list keeps DRF's separate count
    assert one_query(AggregateSequence.objects.all())
    assert not one_query(AggregateSequence.objects.distinct())
    assert not one_query(AggregateSequence.objects.values("last"))
    assert not one_query(AggregateSequence.objects.all()[:3])


# --- junk in page and per_page is refused, naming the parameter (decision 0026) ---------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1e3", "2.5", "", " 2", "+2", "٣"])
@pytest.mark.parametrize("parameter", ["page", "per_page"])
def test_junk_in_page_or_per_page_is_a_validation_error_naming_the_parameter(client, sequences, parameter, value):
    response = client.get("/api/v1/sequences/", {parameter: value})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == [parameter]


def test_page_last_and_a_per_page_over_the_cap_are_still_served(client, sequences, settings):
    settings.API_MAX_PER_PAGE = 2

    body = client.get("/api/v1/sequences/?page=last&per_page=1000").json()

    assert body["meta"] == {"total": 5, "page": 3, "per_page": 2}
