"""The sign-in lockout under attack: parallel guesses get no more tries than the limit, and the count keeps right.

The lockout takes each attempt's place in the count before the password is checked (ukbot/auth/lockout.py);
before that, a burst of parallel guesses all passed the check before the first failure was counted. These tests
run the real service against the real Redis, with the password check slowed down so that the guesses overlap.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import connection

from ukbot.auth import lockout, mfa, services
from ukbot.auth.models import LoginAttempt
from ukbot.auth.tests.conftest import PASSWORD
from ukbot.core.errors import AppError


@pytest.fixture
def slow_password_checks(monkeypatch):
    """Count password checks, and make each take a while, as Argon2 does, so that parallel guesses overlap."""
    checks = []
    lock = threading.Lock()

    def slow_authenticate(**credentials):
        with lock:
            checks.append(credentials["username"])
        time.sleep(0.05)
        return authenticate(**credentials)

    monkeypatch.setattr(services, "authenticate", slow_authenticate)
    return checks


def _login(username: str, password: str, ip: str) -> str:
    try:
        services.login_with_password(username=username, password=password, ip=ip)
        return "ok"
    except AppError as exc:
        return exc.code


def _burst(logins: list[tuple[str, str, str]]) -> list[str]:
    def one(args: tuple[str, str, str]) -> str:
        try:
            return _login(*args)
        finally:
            connection.close()  # each worker thread has a connection of its own

    with ThreadPoolExecutor(max_workers=30) as pool:
        return list(pool.map(one, logins))


def _ip() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def _name(prefix: str = "guess") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_for_one_username_get_only_the_allowed_tries(settings, slow_password_checks):
    settings.LOGIN_MAX_FAILURES = 5
    username = _name("victim")

    # 60 wrong passwords at once, each from its own address (the per-address limit plays no part)
    answers = _burst([(username, f"wrong-{n}", _ip()) for n in range(60)])

    assert len(slow_password_checks) == 5
    assert answers.count("AUTHENTICATION_FAILED") == 5
    assert answers.count("TOO_MANY_ATTEMPTS") == 55
    assert LoginAttempt.objects.filter(username=username, reason="bad_credentials").count() == 5
    assert LoginAttempt.objects.filter(username=username, reason="locked").count() == 55


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_one_address_get_only_the_allowed_tries(settings, slow_password_checks):
    settings.LOGIN_MAX_FAILURES_PER_IP = 20
    ip = _ip()

    # 60 different usernames at once from one address
    answers = _burst([(_name(), "wrong", ip) for _ in range(60)])

    assert len(slow_password_checks) == 20
    assert answers.count("AUTHENTICATION_FAILED") == 20
    assert answers.count("TOO_MANY_ATTEMPTS") == 40
    assert LoginAttempt.objects.filter(ip=ip, reason="bad_credentials").count() == 20


@pytest.mark.django_db(transaction=True)
def test_the_burst_locks_the_username_afterwards_even_for_the_right_password(settings, slow_password_checks):
    settings.LOGIN_MAX_FAILURES = 5
    account = get_user_model().objects.create_user(username=_name("victim"), password=PASSWORD)
    _burst([(account.username, "wrong", _ip()) for _ in range(20)])

    assert _login(account.username, PASSWORD, _ip()) == "TOO_MANY_ATTEMPTS"
    assert len(slow_password_checks) == 5


@pytest.mark.django_db
def test_a_success_clears_the_usernames_failures(settings):
    settings.LOGIN_MAX_FAILURES = 3
    account = get_user_model().objects.create_user(username=_name("user"), password=PASSWORD)
    ip = _ip()
    for _ in range(2):
        assert _login(account.username, "wrong", ip) == "AUTHENTICATION_FAILED"
    assert _login(account.username, PASSWORD, ip) == "ok"

    # the count starts again: two more failures do not lock it
    for _ in range(2):
        assert _login(account.username, "wrong", ip) == "AUTHENTICATION_FAILED"
    assert _login(account.username, PASSWORD, ip) == "ok"


@pytest.mark.django_db
def test_successes_do_not_use_up_the_addresss_tries(settings):
    # many people behind one address (an office) sign in; one typo more than the limit's worth does not lock it
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    ip = _ip()
    accounts = [get_user_model().objects.create_user(username=_name("user"), password=PASSWORD) for _ in range(5)]
    for account in accounts:
        assert _login(account.username, PASSWORD, ip) == "ok"
    for _ in range(2):
        assert _login(_name(), "wrong", ip) == "AUTHENTICATION_FAILED"
    assert _login(accounts[0].username, PASSWORD, ip) == "ok"

    # the third failure fills the count
    assert _login(_name(), "wrong", ip) == "AUTHENTICATION_FAILED"
    assert _login(accounts[0].username, PASSWORD, ip) == "TOO_MANY_ATTEMPTS"


@pytest.mark.django_db
def test_a_password_step_that_asks_for_the_code_counts_neither_way(settings, monkeypatch):
    settings.LOGIN_MAX_FAILURES = 2
    account = get_user_model().objects.create_user(username=_name("user"), password=PASSWORD)
    monkeypatch.setattr(mfa, "mfa_required", lambda *, account_id: True)
    assert _login(account.username, "wrong", _ip()) == "AUTHENTICATION_FAILED"
    for _ in range(5):
        result = services.login_with_password(username=account.username, password=PASSWORD, ip=_ip())
        assert isinstance(result, mfa.MfaChallenge)

    # one failure still counted, none added by the challenges: the next failure is the one that locks
    assert _login(account.username, "wrong", _ip()) == "AUTHENTICATION_FAILED"
    assert _login(account.username, PASSWORD, _ip()) == "TOO_MANY_ATTEMPTS"


@pytest.mark.django_db
def test_an_attempt_that_raises_gives_its_place_back(settings, monkeypatch):
    settings.LOGIN_MAX_FAILURES = 1
    username = _name("user")

    def broken(**credentials):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "authenticate", broken)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            services.login_with_password(username=username, password="x", ip=_ip())

    monkeypatch.setattr(services, "authenticate", authenticate)
    assert _login(username, "wrong", _ip()) == "AUTHENTICATION_FAILED"  # still its one try
    assert _login(username, "wrong", _ip()) == "TOO_MANY_ATTEMPTS"


def test_lockouts_double_and_the_count_starts_again_after_one(settings):
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_SECONDS = 2, 60
    username = _name("user")
    first = lockout.attempt_begin(username=username, ip=None)
    assert first.wait == 0 and first.fail() == 0
    second = lockout.attempt_begin(username=username, ip=None)
    assert second.wait == 0 and second.fail() == 60  # the count is full: the first lockout starts
    assert lockout.attempt_begin(username=username, ip=None).wait == 60

    lockout._client().delete(lockout._lock(f"user:{username}"))  # as if the minute had passed
    for _ in range(2):
        started = lockout.attempt_begin(username=username, ip=None).fail()
    assert started == 120  # the second lockout of the day lasts twice as long
