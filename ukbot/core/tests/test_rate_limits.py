"""The API's throttle (ukbot/core/api/throttling.py) against a real Redis: buckets, keys, windows, Redis down.

Requests come from DRF's request factory and go straight to the throttle; the whole API is exercised in
tests/integration/test_rate_limits.py.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import redis
import redis.exceptions
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ukbot.core.api import throttling
from ukbot.core.api.throttling import ApiRateThrottle
from ukbot.core.rates import Rate, rate_parse, rate_setting

factory = APIRequestFactory()


@pytest.fixture(autouse=True)
def _fresh_counters():
    client = redis.Redis.from_url(settings.REDIS_URL)
    for name in client.scan_iter(f"{throttling.PREFIX}*"):
        client.delete(name)
    yield client


def _request(path="/api/v1/x", *, user=None, ip="203.0.113.9", data=None, forwarded=None):
    meta = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    django_request = factory.post(path, data, format="json", **meta) if data else factory.get(path, **meta)
    request = Request(django_request, parsers=[JSONParser()])
    request.user = user or AnonymousUser()
    return request


def _user(pk: int):
    return SimpleNamespace(pk=pk, is_authenticated=True)


def _view(*buckets: str, username_field: str | None = None):
    return SimpleNamespace(rate_buckets=buckets, rate_username_field=username_field)


def _allowed(request, view=None) -> tuple[bool, float | None]:
    throttle = ApiRateThrottle()
    return throttle.allow_request(request, view or _view()), throttle.wait()


def _run(times: int, make, view=None) -> list[bool]:
    return [_allowed(make(), view)[0] for _ in range(times)]


# --- rates ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/min", Rate(600, 60)),
        ("10/30s", Rate(10, 30)),
        (" 5 / hour ", Rate(5, 3600)),
        ("1000/day", Rate(1000, 86400)),
        ("2/second", Rate(2, 1)),
        ("OFF", None),
    ],
)
def test_a_rate_reads_requests_per_period(text, rate):
    assert rate_parse(text) == rate


@pytest.mark.parametrize("text", ["", "600", "600/fortnight", "0/min", "5/0s", "-1/min", "ten/min", "5/min/2"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError):
        rate_setting(text)


# --- base buckets ----------------------------------------------------------------------------------------------


def test_signed_in_people_count_per_account_even_from_one_address(settings):
    settings.API_RATE_USER = "3/min"

    assert _run(3, lambda: _request(user=_user(1))) == [True, True, True]
    assert _allowed(_request(user=_user(1))) == (False, 60)
    assert _allowed(_request(user=_user(2))) == (True, None)  # the same address, another person
    assert _allowed(_request(user=_user(1), ip="198.51.100.1")) == (False, 60)  # the account, from elsewhere


def test_anonymous_callers_count_per_address(settings):
    settings.API_RATE_ANON = "2/min"

    assert _run(3, lambda: _request(ip="203.0.113.1")) == [True, True, False]
    assert _allowed(_request(ip="203.0.113.2"))[0] is True
    assert _allowed(_request(user=_user(7), ip="203.0.113.1"))[0] is True  # signing in gives a bucket of one's own


def test_an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for(settings):
    settings.API_RATE_ANON = "2/min"
    settings.TRUSTED_PROXIES = ()

    answers = [_allowed(_request(ip="203.0.113.1", forwarded=f"192.0.2.{n}"))[0] for n in range(3)]

    assert answers == [True, True, False]


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(settings):
    settings.API_RATE_ANON = "2/min"
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)

    def via_proxy(client: str):
        return lambda: _request(ip="10.0.0.5", forwarded=client)

    assert _run(3, via_proxy("192.0.2.1")) == [True, True, False]
    assert _run(2, via_proxy("192.0.2.2")) == [True, True]
    # what the client wrote left of the proxy's entry is not believed
    assert _allowed(via_proxy("198.51.100.77, 192.0.2.1")())[0] is False


def test_ipv6_clients_count_per_64_network(settings):
    settings.API_RATE_ANON = "2/min"

    assert _run(2, lambda: _request(ip="2001:db8:1:2::1")) == [True, True]
    assert _allowed(_request(ip="2001:db8:1:2:ffff::9"))[0] is False  # another address of the same /64
    assert _allowed(_request(ip="2001:db8:1:3::1"))[0] is True


def test_a_bucket_that_is_off_counts_nothing(settings, _fresh_counters):
    settings.API_RATE_USER = "off"

    assert _run(5, lambda: _request(user=_user(1))) == [True] * 5
    assert list(_fresh_counters.scan_iter(f"{throttling.PREFIX}*")) == []


# --- stricter buckets ------------------------------------------------------------------------------------------


def test_a_stricter_bucket_refuses_its_views_while_others_still_pass(settings):
    settings.API_RATE_UPLOADS = "2/hour"
    uploads = _view(throttling.UPLOADS)

    assert _run(2, lambda: _request(user=_user(1)), uploads) == [True, True]
    assert _allowed(_request(user=_user(1)), uploads) == (False, 3600)
    assert _allowed(_request(user=_user(1)))[0] is True  # other views
    assert _allowed(_request(user=_user(2)), uploads)[0] is True  # other people


def test_a_refused_request_takes_no_place_in_any_bucket(settings, _fresh_counters):
    settings.API_RATE_USER, settings.API_RATE_EXPORTS = "10/min", "1/hour"
    exports = _view(throttling.EXPORTS)

    assert [_allowed(_request(user=_user(1)), exports)[0] for _ in range(4)] == [True, False, False, False]

    assert _fresh_counters.get(throttling.key("user", "account:1")) == b"1"


def test_searches_count_only_with_a_search_term(settings):
    settings.API_RATE_SEARCHES = "2/min"

    assert _run(2, lambda: _request("/api/v1/requests?search=leak", user=_user(1))) == [True, True]
    assert _allowed(_request("/api/v1/requests?search=pipe", user=_user(1)))[0] is False
    assert _allowed(_request("/api/v1/requests?search=", user=_user(1)))[0] is True
    assert _allowed(_request("/api/v1/requests?status=new", user=_user(1)))[0] is True


def test_sign_in_counts_per_address_and_per_username(settings):
    settings.API_RATE_SIGN_IN = "2/min"
    login = _view(throttling.SIGN_IN, username_field="username")

    def attempt(username: str, ip: str):
        return _request(data={"username": username, "password": "x"}, ip=ip)

    # one username from many addresses
    assert [_allowed(attempt("Alice", f"192.0.2.{n}"), login)[0] for n in range(3)] == [True, True, False]
    assert _allowed(attempt(" alice ", "192.0.2.50"), login)[0] is False  # the same name, however typed
    # many usernames from one address
    assert [_allowed(attempt(f"user{n}", "198.51.100.1"), login)[0] for n in range(3)] == [True, True, False]


def test_sign_in_counts_per_address_even_when_signed_in(settings):
    settings.API_RATE_SIGN_IN = "1/min"
    mfa = _view(throttling.SIGN_IN)

    assert _allowed(_request(user=_user(1)), mfa)[0] is True
    assert _allowed(_request(user=_user(2)), mfa)[0] is False  # a second account guessing from the same address


def test_requests_at_once_get_exactly_the_limit_between_them(settings):
    settings.API_RATE_USER, settings.API_RATE_EXPORTS = "1000/min", "5/hour"
    exports = _view(throttling.EXPORTS)
    start = threading.Barrier(20)

    def call(_n: int) -> bool:
        request = _request(user=_user(1))
        start.wait(timeout=10)
        return _allowed(request, exports)[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(call, range(20)))

    assert answers.count(True) == 5


# --- windows ----------------------------------------------------------------------------------------------------


def test_the_wait_is_what_is_left_of_the_window_in_whole_seconds(settings, _fresh_counters):
    settings.API_RATE_USER = "1/min"
    assert _allowed(_request(user=_user(1)))[0] is True

    _fresh_counters.pexpire(throttling.key("user", "account:1"), 2500)
    assert _allowed(_request(user=_user(1))) == (False, 3)  # 2.5 s left: rounded up
    _fresh_counters.pexpire(throttling.key("user", "account:1"), 20)
    assert _allowed(_request(user=_user(1))) == (False, 1)  # never 0


def test_the_window_frees_again_when_it_ends(settings, _fresh_counters):
    settings.API_RATE_USER = "2/min"
    assert _run(3, lambda: _request(user=_user(1))) == [True, True, False]

    _fresh_counters.pexpire(throttling.key("user", "account:1"), 1)  # the minute is over
    _wait_gone(_fresh_counters, throttling.key("user", "account:1"))

    assert _run(3, lambda: _request(user=_user(1))) == [True, True, False]


def test_a_full_counter_without_an_expiry_gets_one_instead_of_blocking_for_ever(settings, _fresh_counters):
    settings.API_RATE_USER = "2/min"
    _fresh_counters.set(throttling.key("user", "account:1"), 5)  # no TTL, e.g. restored from a snapshot by hand

    assert _allowed(_request(user=_user(1))) == (False, 60)
    assert 0 < _fresh_counters.pttl(throttling.key("user", "account:1")) <= 60_000


def _wait_gone(client, name: str) -> None:
    for _ in range(100):
        if not client.exists(name):
            return
        time.sleep(0.005)
    pytest.fail(f"{name} did not expire")


# --- Redis out of reach -----------------------------------------------------------------------------------------


@pytest.fixture
def dead_redis(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize("bucket", [throttling.SIGN_IN, throttling.UPLOADS, throttling.EXPORTS, "bulk_notifications"])
def test_with_redis_down_guarded_buckets_fail_closed(dead_redis, bucket):
    with pytest.raises(redis.exceptions.ConnectionError):
        _allowed(_request(user=_user(1)), _view(bucket))


def test_with_redis_down_plain_reads_and_searches_fail_open_with_one_warning(dead_redis, caplog, monkeypatch):
    monkeypatch.setattr(throttling, "_last_logged", 0.0)
    with caplog.at_level(logging.WARNING, logger="ukbot.core.api.throttling"):
        assert _allowed(_request(user=_user(1)))[0] is True
        assert _allowed(_request("/api/v1/requests?search=x", user=_user(1)))[0] is True
        assert _allowed(_request())[0] is True

    assert [r.getMessage() for r in caplog.records] == [
        "rate limits: Redis is out of reach; requests pass uncounted where limits fail open"
    ]
