"""Idempotency-Key on API writes: replay, refusal of another body, in-progress, expiry, 5xx release."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from ukbot.core.idempotency import expire_keys
from ukbot.core.models import AggregateSequence, IdempotencyKey
from ukbot.core.tests.api_urls import ORDER_PREFIX, SlowOrderCreateApi

pytestmark = pytest.mark.urls("ukbot.core.tests.api_urls")

ORDER = {"customer": "Dilnoza", "items": [{"sku": "TAP", "qty": 2}]}


@pytest.fixture
def client():
    return Client(headers={"Accept-Language": "en"})


def _orders() -> int:
    return AggregateSequence.objects.filter(aggregate__startswith=ORDER_PREFIX).count()


def _post(client, body, key=None, path="/api/v1/orders/"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response_without_running_the_view_again(client):
    # given a first request with a key
    first = _post(client, ORDER, key="k-1")
    # when the client sends it again
    second = _post(client, ORDER, key="k-1")
    # then it gets the same status and bytes, marked as a replay, and the order exists once
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second["Content-Type"] == "application/json"
    assert second.content == first.content
    assert _orders() == 1
    row = IdempotencyKey.objects.get(key="k-1")
    assert (row.user_key, row.method, row.path, row.status_code) == ("anonymous", "POST", "/api/v1/orders/", 201)
    assert row.expires_at - row.created_at == pytest.approx(timedelta(hours=24), abs=timedelta(seconds=5))


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(client):
    _post(client, ORDER, key="k-2")

    response = _post(client, {**ORDER, "customer": "Someone else"}, key="k-2")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert response.json()["error"]["message"] == "This Idempotency-Key was used for a different request."
    assert "Idempotent-Replayed" not in response
    assert _orders() == 1


@pytest.mark.django_db
def test_same_key_on_another_path_is_refused(client):
    _post(client, ORDER, key="k-3")

    response = _post(client, ORDER, key="k-3", path="/api/v1/echo/")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.django_db
def test_keys_belong_to_their_user(client):
    # given two accounts using the same key for the same body
    accounts = get_user_model().objects
    alice, bob = accounts.create_user(username="alice"), accounts.create_user(username="bob")
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)

    first = _post(alice_client, ORDER, key="shared")
    second = _post(bob_client, ORDER, key="shared")

    # then each request ran: one user never sees another's response
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["data"]["id"] != second.json()["data"]["id"]
    assert _orders() == 2
    assert sorted(IdempotencyKey.objects.values_list("user_key", flat=True)) == sorted([str(alice.pk), str(bob.pk)])


@pytest.mark.django_db
def test_requests_without_a_key_are_not_deduplicated(client):
    _post(client, ORDER)
    _post(client, ORDER)

    assert _orders() == 2
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_reads_ignore_the_key(client):
    response = client.get("/api/v1/echo/", headers={"Idempotency-Key": "k-get"})

    assert response.status_code == 200
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_a_4xx_answer_is_stored_and_replayed(client):
    invalid = {"customer": "", "items": []}
    first = _post(client, invalid, key="k-4")

    second = _post(client, invalid, key="k-4")

    assert (first.status_code, second.status_code) == (400, 400)
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content


@pytest.mark.django_db
def test_a_5xx_answer_is_not_stored_and_the_key_is_released(client):
    first = _post(client, ORDER, key="k-5", path="/api/v1/boom/")

    assert first.status_code == 500
    assert IdempotencyKey.objects.filter(key="k-5").count() == 0

    retry = _post(client, ORDER, key="k-5", path="/api/v1/boom/")

    assert retry.status_code == 500
    assert "Idempotent-Replayed" not in retry
    assert retry.json()["error"]["code"] == "INTERNAL_ERROR"


@pytest.mark.django_db
def test_key_longer_than_255_characters_is_a_validation_error(client):
    response = _post(client, ORDER, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == [
        {"field": "Idempotency-Key", "message": "Ensure this value has 1 to 255 characters."}
    ]
    assert _orders() == 0
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_key_of_255_characters_is_accepted(client):
    response = _post(client, ORDER, key="k" * 255)

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().key == "k" * 255


@pytest.mark.django_db
def test_expire_keys_deletes_only_expired_keys(client):
    _post(client, ORDER, key="old")
    _post(client, ORDER, key="fresh")
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))

    deleted = expire_keys()

    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert expire_keys() == 0


@pytest.mark.django_db
def test_an_expired_key_is_new_again_even_before_the_sweep(client):
    # given a key whose response is stored but whose time to live has passed
    _post(client, ORDER, key="k-6")
    IdempotencyKey.objects.filter(key="k-6").update(expires_at=timezone.now() - timedelta(seconds=1))
    # when the key is sent with another body
    response = _post(client, {**ORDER, "customer": "Later"}, key="k-6")
    # then it runs as a new request
    assert response.status_code == 201
    assert _orders() == 2
    assert IdempotencyKey.objects.get(key="k-6").expires_at > timezone.now()


@pytest.mark.django_db
def test_an_abandoned_reservation_is_taken_over(client):
    # given a reservation left by a worker that died 11 minutes ago
    _post(client, ORDER, key="k-7")
    IdempotencyKey.objects.filter(key="k-7").update(
        status_code=None, response_body=None, created_at=timezone.now() - timedelta(minutes=11)
    )

    response = _post(client, ORDER, key="k-7")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert _orders() == 2


@pytest.fixture
def slow_view():
    SlowOrderCreateApi.entered.clear()
    SlowOrderCreateApi.release.clear()
    yield SlowOrderCreateApi
    SlowOrderCreateApi.release.set()


def test_a_repeat_while_the_first_request_runs_is_in_progress(transactional_db, slow_view):
    # given a first request that is inside the view
    results = {}

    def first_request():
        try:
            results["first"] = _post(Client(), ORDER, key="k-slow", path="/api/v1/slow-orders/")
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    assert slow_view.entered.wait(timeout=10)

    # when the same key arrives again, with the same and with another body
    repeat = _post(Client(), ORDER, key="k-slow", path="/api/v1/slow-orders/")
    other = _post(Client(), {**ORDER, "customer": "X"}, key="k-slow", path="/api/v1/slow-orders/")

    # then the repeat is told to wait and the other body is refused
    assert repeat.status_code == 409
    assert repeat.json()["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert _orders() == 0

    # and once the first finishes, a repeat replays it
    slow_view.release.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert results["first"].status_code == 201
    replay = _post(Client(), ORDER, key="k-slow", path="/api/v1/slow-orders/")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == results["first"].content
    assert _orders() == 1
