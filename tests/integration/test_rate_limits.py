"""Rate limits through the real API and a real Redis (DESIGN §8, docs/decisions/0023): per account and per
address, the stricter buckets, the 429 envelope with Retry-After, windows that free again, and Redis down."""

from __future__ import annotations

import io
import ipaddress
import socket

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD, media_bytes, person, signed_in
from ukbot.core.api import throttling
from ukbot.media.models import MediaFile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def counters():
    """Redis with no rate counter left from earlier tests (the suite's own run in the same windows), nor sign-in
    failures: the lockout also answers 429, and these tests sign in wrongly from fixed addresses."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in (f"{throttling.PREFIX}*", "ukbot:login:*"):
        for name in client.scan_iter(pattern):
            client.delete(name)
    return client


def _limited(response, seconds: int) -> dict:
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == str(seconds)
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"] == [{"field": "retry_after", "message": str(seconds)}]
    return error


def _login(client: APIClient, username: str, password: str | None = None):
    body = {"username": username, "password": password or "wrong"}
    return client.post("/api/v1/auth/login", body, format="json")


def _upload(client: APIClient, kind: str = "jpeg", size: int = 256):
    stream = io.BytesIO(media_bytes(kind, size=size))
    stream.name = f"photo.{kind}"
    return client.post("/api/v1/media/upload", {"file": stream}, format="multipart")


def _expire_all(client) -> None:
    """Move every rate window to its end, as if its period had passed."""
    for name in client.scan_iter(f"{throttling.PREFIX}*"):
        client.delete(name)


# --- per account, per address ----------------------------------------------------------------------------------


def test_two_people_from_one_address_do_not_share_a_bucket(settings):
    alice, bob = signed_in(person("applicant")), signed_in(person("applicant"))  # both from 127.0.0.1
    settings.API_RATE_USER = "3/min"

    assert [alice.get("/api/v1/users/me").status_code for _ in range(3)] == [200, 200, 200]
    error = _limited(alice.get("/api/v1/users/me"), 60)
    assert error["message"] == "Too many requests. Try again in 60 seconds."

    assert bob.get("/api/v1/users/me").status_code == 200


def test_anonymous_callers_count_per_address_behind_a_trusted_proxy(settings):
    settings.API_RATE_ANON = "2/min"
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)
    proxy = APIClient(REMOTE_ADDR="10.1.2.3")

    def call(client_address: str):
        return proxy.get("/api/v1/no-such-endpoint", HTTP_X_FORWARDED_FOR=client_address)

    assert [call("198.51.100.1").status_code for _ in range(2)] == [404, 404]
    _limited(call("198.51.100.1"), 60)
    assert call("198.51.100.2").status_code == 404  # another client behind the same proxy
    # a client cannot pass itself off as another by writing the header: the proxy appends its real address
    _limited(call("198.51.100.2, 198.51.100.1"), 60)


def test_an_untrusted_peer_cannot_escape_its_bucket_with_x_forwarded_for(settings):
    settings.API_RATE_ANON = "2/min"
    settings.TRUSTED_PROXIES = ()
    peer = APIClient(REMOTE_ADDR="203.0.113.40")

    answers = [peer.get("/api/v1/nowhere", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(3)]

    assert answers == [404, 404, 429]
    assert APIClient(REMOTE_ADDR="203.0.113.41").get("/api/v1/nowhere").status_code == 404


# --- stricter buckets ------------------------------------------------------------------------------------------


def test_sign_in_is_limited_per_address_while_the_rest_of_the_api_works(settings, counters):
    reader = signed_in(person("applicant"))
    username = f"victim-{person('applicant')}"
    settings.API_RATE_SIGN_IN = "2/min"
    _expire_all(counters)  # the reader's own sign-in
    anyone = APIClient(HTTP_ACCEPT_LANGUAGE="en")

    assert [_login(anyone, f"{username}-{n}").status_code for n in range(2)] == [401, 401]
    _limited(_login(anyone, "someone-else"), 60)
    _limited(anyone.post("/api/v1/auth/refresh", {"refresh": "x"}, format="json"), 60)  # the same bucket
    _limited(anyone.post("/api/v1/auth/mfa/verify", {"challenge": "x", "code": "1"}, format="json"), 60)

    assert reader.get("/api/v1/users/me").status_code == 200
    assert _login(APIClient(REMOTE_ADDR="198.51.100.9"), "someone-else").status_code == 401  # another address


def test_password_sign_in_is_limited_per_username_across_addresses(settings):
    account = person("applicant", username="target-user")  # its failures are cleared with the counters
    settings.API_RATE_SIGN_IN = "2/min"

    answers = [_login(APIClient(REMOTE_ADDR=f"192.0.2.{n}"), "target-user").status_code for n in range(2)]
    refused = _login(APIClient(REMOTE_ADDR="192.0.2.99"), "TARGET-user ", PASSWORD)

    assert answers == [401, 401]
    _limited(refused, 60)
    assert account  # the right password waits like a wrong one: the limit is on trying, not on failing
    assert _login(APIClient(REMOTE_ADDR="192.0.2.100"), "another-user").status_code == 401


def test_uploads_are_limited_per_person_and_a_refused_upload_stores_nothing(settings):
    owner, other = signed_in(person("applicant")), signed_in(person("applicant"))
    settings.API_RATE_UPLOADS = "2/hour"

    assert [_upload(owner).status_code for _ in range(2)] == [201, 201]
    _limited(_upload(owner), 3600)

    assert MediaFile.objects.count() == 2
    assert _upload(other).status_code == 201
    assert owner.get("/api/v1/users/me").status_code == 200


def test_personal_data_exports_are_limited(settings):
    account = person("applicant")
    client = signed_in(account)
    settings.API_RATE_EXPORTS = "1/hour"

    assert client.get(f"/api/v1/users/{account}/export").status_code == 200
    _limited(client.get(f"/api/v1/users/{account}/export"), 3600)
    assert client.get(f"/api/v1/users/{account}").status_code == 200


def test_searches_are_limited_but_plain_lists_are_not(settings):
    client = signed_in(person("applicant"))
    settings.API_RATE_SEARCHES = "2/min"

    assert [client.get("/api/v1/requests", {"search": "leak"}).status_code for _ in range(2)] == [200, 200]
    _limited(client.get("/api/v1/requests", {"search": "pipe"}), 60)
    _limited(client.get("/api/v1/notifications/history", {"search": "pipe"}), 60)  # every list's search
    assert client.get("/api/v1/requests").status_code == 200


def test_bulk_messages_are_limited_but_not_replies_to_one_person(settings):
    manager, resident = signed_in(person("manager")), person("applicant")
    settings.API_RATE_BULK_NOTIFICATIONS = "2/hour"

    def send(path: str, body: dict):
        return manager.post(path, body, format="json")

    for _ in range(2):
        bulk = send("/api/v1/notifications/bulk", {"audience": {"account_ids": [resident]}, "text": "Hi"})
        assert bulk.status_code == 202
    _limited(send("/api/v1/notifications/bulk", {"audience": {"role": "applicant"}, "text": "Hi"}), 3600)
    # a dispatcher answering residents one by one is not a bulk send: only the per-account limit applies
    replies = [send("/api/v1/notifications/send", {"account_id": resident, "text": "Hi"}) for _ in range(3)]
    assert [reply.status_code for reply in replies] == [202, 202, 202]


# --- the answer, the window ------------------------------------------------------------------------------------


def test_the_refusal_is_in_the_callers_language(settings):
    settings.API_RATE_ANON = "1/min"
    APIClient().get("/api/v1/nowhere")

    russian = APIClient().get("/api/v1/nowhere")
    uzbek = APIClient(HTTP_ACCEPT_LANGUAGE="uz").get("/api/v1/nowhere")

    assert _limited(russian, 60)["message"] == "Слишком много запросов. Повторите через 60 с."
    assert _limited(uzbek, 60)["message"] == "Soʻrovlar juda koʻp. 60 soniyadan keyin qayta urinib koʻring."


def test_retry_after_is_what_is_left_of_the_window_and_the_window_frees_again(settings, counters):
    client = signed_in(person("applicant"))
    settings.API_RATE_USER = "2/hour"
    assert [client.get("/api/v1/users/me").status_code for _ in range(2)] == [200, 200]

    [name] = list(counters.scan_iter(f"{throttling.PREFIX}user:*"))
    counters.pexpire(name, 41_200)
    _limited(client.get("/api/v1/users/me"), 42)

    _expire_all(counters)
    assert [client.get("/api/v1/users/me").status_code for _ in range(3)] == [200, 200, 429]


# --- Redis down -------------------------------------------------------------------------------------------------


def _outage(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_with_redis_down_sign_in_and_uploads_fail_closed_and_reads_go_on(settings):
    reader = signed_in(person("applicant"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"  # nothing listens there

    _outage(_login(APIClient(), "anyone"))
    _outage(_upload(reader))
    assert MediaFile.objects.count() == 0

    assert reader.get("/api/v1/users/me").status_code == 200
    assert reader.get("/api/v1/requests", {"search": "leak"}).status_code == 200
