"""Sign-in through HTTP: tokens, rotation and reuse detection, logout, sessions, lockout, bad input."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from ukbot.auth.models import LoginAttempt, RefreshToken, Session
from ukbot.auth.tests.conftest import PASSWORD, login
from ukbot.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


def _bearer(api, access) -> APIClient:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def test_login_returns_tokens_records_the_attempt_and_publisheslogin(api, account, ip):
    response = login(api, account.username, HTTP_USER_AGENT="Pixel 8")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 900
    assert len(data["refresh"]) > 40
    session = Session.objects.get(pk=data["session_id"])
    assert (session.account_id, session.device, session.ip) == (account.pk, "Pixel 8", ip)
    assert not RefreshToken.objects.filter(pk=data["refresh"]).exists()  # only its hash is stored
    attempt = LoginAttempt.objects.get(username=account.username)
    assert (attempt.success, attempt.reason, attempt.account_id, attempt.ip) == (True, "ok", account.pk, ip)
    event = OutboxEvent.objects.get(type="auth.login")
    assert event.data["account_id"] == account.pk and event.data["session_id"] == data["session_id"]

    claims = _bearer(api, data["access"]).get("/api/v1/auth/validate").json()["data"]
    assert claims["account_id"] == account.pk
    assert claims["session_id"] == data["session_id"]
    assert isinstance(claims["roles"], list) and isinstance(claims["scopes"], list)


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    account = get_user_model().objects.create_user(username="argon", password=PASSWORD)
    assert account.password.startswith("argon2$")


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
def test_wrong_credentials_get_one_answer_and_no_session(api, account, who):
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"  # unique: failure counts live in Redis across runs
    username, password = (account.username, "nope") if who == "wrong password" else (ghost, PASSWORD)

    response = login(api, username, password)

    assert response.status_code == 401
    assert _error(response)["code"] == "AUTHENTICATION_FAILED"
    assert _error(response)["message"] == "Wrong username or password."
    assert Session.objects.count() == 0
    assert LoginAttempt.objects.get(username=username).reason == "bad_credentials"
    assert not OutboxEvent.objects.filter(type="auth.login").exists()


def test_repeated_failures_lock_the_account_even_for_the_right_password(api, account, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(3):
        assert login(api, account.username, "wrong").status_code == 401

    locked = login(api, account.username)  # the right password, during the lockout

    assert locked.status_code == 429
    assert _error(locked)["code"] == "TOO_MANY_ATTEMPTS"
    assert locked["Retry-After"] == "1"
    assert {"field": "retry_after", "message": "1"} in _error(locked)["details"]
    assert Session.objects.count() == 0
    assert LoginAttempt.objects.filter(username=account.username, reason="locked").count() == 1

    time.sleep(1.1)
    assert login(api, account.username).status_code == 200  # the lock has passed

    for _ in range(3):
        login(api, account.username, "wrong")
    again = login(api, account.username)
    assert again.status_code == 429
    assert again["Retry-After"] == "2"  # the second lockout of the day lasts twice as long


def test_many_failures_from_one_address_lock_that_address_only(ip, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    model = get_user_model()
    victim = model.objects.create_user(username=f"victim-{uuid.uuid4().hex[:6]}", password=PASSWORD)
    attacker = APIClient(REMOTE_ADDR=ip)
    for n in range(3):
        login(attacker, f"guess-{n}-{uuid.uuid4().hex[:8]}", "x")

    assert login(attacker, victim.username).status_code == 429
    assert login(APIClient(REMOTE_ADDR="192.0.2.77"), victim.username).status_code == 200


def test_refresh_rotates_and_a_reused_token_revokes_the_whole_session(api, account):
    first = login(api, account.username).json()["data"]

    second = api.post("/api/v1/auth/refresh", {"refresh": first["refresh"]}, format="json")
    assert second.status_code == 200
    second = second.json()["data"]
    assert second["session_id"] == first["session_id"]
    assert second["refresh"] != first["refresh"]

    # the first token comes back (a thief, or a bug): the session ends for everybody holding its tokens
    reused = api.post("/api/v1/auth/refresh", {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert _error(reused)["code"] == "TOKEN_REUSED"
    assert Session.objects.get(pk=first["session_id"]).revoke_reason == "token_reused"
    latest = api.post("/api/v1/auth/refresh", {"refresh": second["refresh"]}, format="json")
    assert _error(latest)["code"] == "SESSION_REVOKED"
    denied = _bearer(api, second["access"]).get("/api/v1/auth/validate")
    assert denied.status_code == 401
    assert _error(denied)["code"] == "SESSION_REVOKED"


def test_an_expired_refresh_token_is_refused_and_reported(api, account):
    tokens = login(api, account.username).json()["data"]
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert _error(response)["code"] == "TOKEN_EXPIRED"
    event = OutboxEvent.objects.get(type="auth.token_expired")
    assert event.data["session_id"] == tokens["session_id"]


@pytest.mark.parametrize("refresh", ["garbage", "x" * 200, ""])
def test_an_unknown_or_malformed_refresh_token_is_refused(api, refresh):
    response = api.post("/api/v1/auth/refresh", {"refresh": refresh}, format="json")
    assert response.status_code in (400, 401)
    assert _error(response)["code"] in ("VALIDATION_ERROR", "AUTHENTICATION_FAILED")


def test_logout_ends_the_session_and_its_tokens(api, account):
    tokens = login(api, account.username).json()["data"]
    client = _bearer(api, tokens["access"])

    response = client.post("/api/v1/auth/logout")

    assert response.status_code == 200
    assert response.json()["data"] == {"session_id": tokens["session_id"], "revoked": True}
    assert client.get("/api/v1/auth/validate").status_code == 401
    refresh = APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert _error(refresh)["code"] == "SESSION_REVOKED"
    assert OutboxEvent.objects.get(type="auth.logout").data["reason"] == "logout"


def test_sessions_are_listed_and_one_can_be_revoked_but_not_somebody_elses(api, account):
    phone = login(api, account.username, HTTP_USER_AGENT="phone").json()["data"]
    laptop = login(APIClient(), account.username, HTTP_USER_AGENT="laptop").json()["data"]
    stranger = get_user_model().objects.create_user(username=f"other-{uuid.uuid4().hex[:6]}", password=PASSWORD)
    theirs = login(APIClient(), stranger.username).json()["data"]
    client = _bearer(api, phone["access"])

    listed = client.get("/api/v1/auth/sessions").json()["data"]
    assert {s["device"]: s["current"] for s in listed} == {"phone": True, "laptop": False}

    assert client.delete(f"/api/v1/auth/sessions/{laptop['session_id']}").status_code == 200
    assert [s["device"] for s in client.get("/api/v1/auth/sessions").json()["data"]] == ["phone"]
    foreign = client.delete(f"/api/v1/auth/sessions/{theirs['session_id']}")
    assert foreign.status_code == 404
    assert Session.objects.get(pk=theirs["session_id"]).revoked_at is None


def test_a_disabled_account_cannot_sign_in_or_refresh(api, account):
    tokens = login(api, account.username).json()["data"]
    get_user_model().objects.filter(pk=account.pk).update(is_active=False)

    assert _error(login(api, account.username))["code"] == "AUTHENTICATION_FAILED"
    refresh = api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 403
    assert _error(refresh)["code"] == "ACCOUNT_BLOCKED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a", "password": "b", "remember": True}, "remember"),
        ({"username": "a\x00b", "password": "b"}, "username"),
        ({"username": "a" * 151, "password": "b"}, "username"),
        ({"username": "a"}, "password"),
    ],
)
def test_bad_login_input_is_a_validation_error_naming_the_field(api, body, field):
    response = api.post("/api/v1/auth/login", body, format="json")

    assert response.status_code == 400
    assert _error(response)["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in _error(response)["details"]]
    assert LoginAttempt.objects.count() == 0


@pytest.mark.parametrize(
    "kind",
    [
        "malformed",
        "foreign key",
        "expired",
        "no session claim",
        "session not a UUID",
        "another account's session",
        "no account claim",
        "account not a number",
        "account beyond bigint",
        "unknown account",
    ],
)
def test_bad_access_tokens_are_refused(api, account, settings, kind):
    good = login(api, account.username).json()["data"]["access"]
    claims = jwt.decode(good, options={"verify_signature": False})
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    other = get_user_model().objects.create_user(username=f"other-{uuid.uuid4().hex[:8]}", password=PASSWORD)
    changed = {
        "session not a UUID": {"sid": "not-a-uuid"},
        "another account's session": {"sub": str(other.pk)},
        "no account claim": {"sub": None},
        "account not a number": {"sub": "abc"},
        "account beyond bigint": {"sub": str(2**70)},
        "unknown account": {"sub": str(other.pk + 1000)},
    }.get(kind, {})
    forged = {k: v for k, v in {**claims, **changed}.items() if v is not None}
    token = {
        "malformed": "not.a.jwt",
        "foreign key": jwt.encode(claims, "another-key-entirely-0123456789abcdef", algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 60}, key, algorithm="HS256"),
        "no session claim": jwt.encode({k: v for k, v in claims.items() if k != "sid"}, key, algorithm="HS256"),
    }.get(kind) or jwt.encode(forged, key, algorithm="HS256")

    response = _bearer(api, token).get("/api/v1/auth/validate")

    assert response.status_code == 401
    assert _error(response)["code"] in ("AUTHENTICATION_FAILED", "SESSION_REVOKED")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _bearer(api, good).get("/api/v1/auth/validate").status_code == 200  # the real token still works


@pytest.mark.parametrize("how", ["expired", "revoked", "account disabled", "account deleted"])
def test_an_access_token_stops_when_its_session_or_account_does(api, account, how):
    data = login(api, account.username).json()["data"]
    session = Session.objects.get(pk=data["session_id"])
    if how == "expired":
        Session.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        Session.objects.filter(pk=session.pk).update(revoked_at=timezone.now())
    elif how == "account disabled":
        get_user_model().objects.filter(pk=account.pk).update(is_active=False)
    else:
        get_user_model().objects.filter(pk=account.pk).delete()

    response = _bearer(api, data["access"]).get("/api/v1/auth/validate")

    assert response.status_code == 401
    expected = "SESSION_REVOKED" if how in ("expired", "revoked") else "AUTHENTICATION_FAILED"
    assert _error(response)["code"] == expected
