"""A hung Redis (the process stopped: TCP still connects, nothing answers) must not freeze the API (issue 16).

Real processes: a private redis-server that the test stops with SIGSTOP, gunicorn serving the project on it (as
cache, lockout and rate-limit store, and Celery broker), and after SIGCONT a Celery worker on it. Decision 0033.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD, person
from tests.processes import Gunicorn, PrivateRedis, celery_broker_switch
from ukbot.celery import app
from ukbot.celery_worker import start_worker, stop_worker
from ukbot.core.models import Delivery, OutboxEvent
from ukbot.core.tests.conftest import subprocess_env
from ukbot.requests.models import Request
from ukbot.users import services as users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A hung call must end well within this; a frozen API is not answered before the client gives up (30 s).
ANSWER_WITHIN_SECONDS = 6.0
CLIENT_TIMEOUT_SECONDS = 30.0


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def on_private_broker() -> Iterator[Callable[[str], None]]:
    with celery_broker_switch() as switch:
        yield switch


def _apartment() -> int:
    yard = users.yard_create(name=f"ЖК hang {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="ул. Шахрисабз, 5")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return users.apartment_create(entrance_id=entrance.pk, number="12").pk


def _resident() -> str:
    account = person("applicant")
    link = users.apartment_link_request(account_id=account, apartment_id=_apartment(), relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))
    # gunicorn checks passwords with the project's hashers, not the tests' fast one
    hasher = Argon2PasswordHasher()
    resident = get_user_model().objects.get(pk=account)
    resident.password = hasher.encode(PASSWORD, hasher.salt())
    resident.save(update_fields=["password"])
    return resident.username


def _timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _delivered(numbers: list[str]) -> bool:
    events = OutboxEvent.objects.filter(type="request.created", subject__in=numbers)
    if events.count() != len(numbers):
        return False
    return not Delivery.objects.filter(event_id__in=events.values("id")).exclude(status="done").exists()


def test_a_hung_redis_slows_the_api_by_its_timeout_and_nothing_more(private_redis, on_private_broker, tmp_path):
    # given gunicorn on the private Redis; sign-in throttling off, so the lockout is what guards sign-in
    server = Gunicorn(tmp_path / "gunicorn.log", workers=1, REDIS_URL=private_redis.url, API_RATE_SIGN_IN="off")
    worker = None
    api = httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_SECONDS, headers={"Accept-Language": "en"})
    try:
        username = _resident()
        tokens = api.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        api.headers["Authorization"] = f"Bearer {tokens.json()['data']['access']}"
        warm = api.post("/api/v1/requests", json={"category": "plumbing", "description": "Before the hang"})
        assert warm.status_code == 201, warm.text  # every connection of the process is open and warm

        # when Redis hangs
        private_redis.hang()
        description = f"Leak during the hang {uuid.uuid4().hex[:6]}"
        try:
            created, took = _timed(
                lambda: api.post("/api/v1/requests", json={"category": "plumbing", "description": description})
            )
        except httpx.TimeoutException:
            pytest.fail(f"creating a request did not answer within {CLIENT_TIMEOUT_SECONDS:.0f} s")

        # then a resident's request is created, promptly, exactly once
        assert created.status_code == 201, created.text
        assert took < ANSWER_WITHIN_SECONDS, f"the create took {took:.1f} s"
        assert Request.objects.filter(description=description).count() == 1
        # reads answer
        listed, took = _timed(lambda: api.get("/api/v1/requests"))
        assert listed.status_code == 200, listed.text
        assert took < ANSWER_WITHIN_SECONDS, f"the list took {took:.1f} s"
        # sign-in, which the lockout guards, is refused as unavailable rather than let through uncounted
        refused, took = _timed(
            lambda: httpx.post(
                f"{server.url}/api/v1/auth/login",
                json={"username": username, "password": PASSWORD},
                headers={"Accept-Language": "en"},
                timeout=CLIENT_TIMEOUT_SECONDS,
            )
        )
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert refused.headers["Retry-After"]
        assert took < ANSWER_WITHIN_SECONDS, f"the sign-in took {took:.1f} s"

        # when Redis answers again
        private_redis.resume()
        connection.close()  # the worker's processes open their own
        on_private_broker(private_redis.url)  # so that this process pings the worker and sends the sweep there
        worker = start_worker(concurrency=1, env=subprocess_env(REDIS_URL=private_redis.url))
        # then sign-in and creates work again, and the events of both creates (the one during the hang too) are
        # delivered by the kick or, like the beat sweep, by a sweep sent to the worker
        again = httpx.post(
            f"{server.url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
        )
        assert again.status_code == 200, again.text
        after = api.post("/api/v1/requests", json={"category": "plumbing", "description": "After the hang"})
        assert after.status_code == 201, after.text
        numbers = [created.json()["data"]["number"], after.json()["data"]["number"]]
        deadline = time.monotonic() + 60
        while not _delivered(numbers):
            assert time.monotonic() < deadline, "the events were not delivered within 60 s"
            app.send_task("ukbot.core.sweep_events")  # the beat sweep's job
            time.sleep(2)
    finally:
        api.close()
        if worker is not None:
            stop_worker(worker)
        private_redis.resume()
        server.stop()
