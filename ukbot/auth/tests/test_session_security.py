"""Sessions end when they should, at once (issue 15): a password change or reset, two-step sign-in turned on (with
the password again), turned off only with a code and the password, and the MFA challenge
bound to its client. Blocks, withdrawn roles, forgetting and telling the person of two-step sign-in cross apps:
tests/integration/test_sessions_security.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from ukbot.auth.models import Session
from ukbot.auth.tests.conftest import PASSWORD, login
from ukbot.auth.tests.test_mfa import _enable
from ukbot.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

UA = "Pixel 8 / UKBot 1.0"


def _error(response) -> dict:
    return response.json()["error"]


def _challenge(ip: str, account, user_agent: str = UA) -> str:
    response = login(APIClient(REMOTE_ADDR=ip), account.username, HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200
    return response.json()["data"]["challenge"]


def _verify(ip: str, challenge: str, code: str, user_agent: str = UA):
    return APIClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/mfa/verify", {"challenge": challenge, "code": code}, format="json", HTTP_USER_AGENT=user_agent
    )


def test_a_challenge_completed_from_another_address_is_refused(api, account, ip):
    codes, _backup = _enable(api, account)
    challenge, code = _challenge(ip, account), codes.next()

    stolen = _verify("203.0.113.9", challenge, code)

    assert stolen.status_code == 401
    assert _error(stolen)["code"] == "MFA_CHALLENGE_INVALID"
    assert not Session.objects.filter(account=account, method="password+totp").exists()
    # the challenge is not spent by the refusal: its own client still finishes the sign-in
    assert _verify(ip, challenge, code).status_code == 200


def test_a_challenge_completed_from_another_device_is_refused(api, account, ip):
    codes, _backup = _enable(api, account)
    challenge = _challenge(ip, account)

    stolen = _verify(ip, challenge, codes.next(), user_agent="curl/8.5")

    assert stolen.status_code == 401
    assert _error(stolen)["code"] == "MFA_CHALLENGE_INVALID"
    assert not Session.objects.filter(account=account, method="password+totp").exists()


def test_a_challenge_completed_by_its_own_client_opens_a_session_on_that_device(api, account, ip):
    codes, _backup = _enable(api, account)

    done = _verify(ip, _challenge(ip, account), codes.next())

    assert done.status_code == 200
    session = Session.objects.get(pk=done.json()["data"]["session_id"])
    assert (session.ip, session.device, session.method) == (ip, UA, "password+totp")


NEW_PASSWORD = "a brand new and long passphrase"


def _tokens(account, ip: str = "10.9.9.9") -> dict:
    response = login(APIClient(REMOTE_ADDR=ip), account.username)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def _client(tokens) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def _call(tokens):
    return _client(tokens).get("/api/v1/auth/sessions")


def _refresh(tokens):
    return APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")


def _change(tokens, old: str = PASSWORD, new: str = NEW_PASSWORD):
    return _client(tokens).post("/api/v1/auth/password", {"old_password": old, "new_password": new}, format="json")


def _logouts(account_id: int) -> dict[str, str]:
    return {
        e.data["session_id"]: e.data["reason"]
        for e in OutboxEvent.objects.filter(type="auth.logout", subject=str(account_id))
    }


def test_changing_the_password_ends_the_other_sessions_at_once_and_keeps_this_one(account):
    here, phone = _tokens(account), _tokens(account)
    assert _call(phone).status_code == 200

    changed = _change(here)

    assert changed.status_code == 200
    assert changed.json()["data"] == {"sessions_ended": 1}
    refused = _call(phone)
    assert (refused.status_code, _error(refused)["code"]) == (401, "SESSION_REVOKED")
    dead = _refresh(phone)
    assert (dead.status_code, _error(dead)["code"]) == (401, "SESSION_REVOKED")
    assert _call(here).status_code == 200
    assert _refresh(here).status_code == 200
    assert _logouts(account.pk) == {phone["session_id"]: "password_changed"}
    assert login(APIClient(), account.username, NEW_PASSWORD).status_code == 200
    assert login(APIClient(), account.username, PASSWORD).status_code == 401


def test_a_wrong_current_password_changes_nothing_and_ends_nothing(account):
    here, phone = _tokens(account), _tokens(account)

    refused = _change(here, old="not my password")

    assert (refused.status_code, _error(refused)["code"]) == (400, "PASSWORD_INVALID")
    assert _call(phone).status_code == 200
    assert not OutboxEvent.objects.filter(type="auth.logout").exists()
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_resetting_a_password_in_the_admin_ends_every_session_at_once(account):
    staff = get_user_model().objects.create_superuser(username=f"admin-{account.pk}", password=PASSWORD)
    phone, laptop = _tokens(account), _tokens(account)
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin.force_login(staff)

    response = admin.post(
        f"/admin/ukbot_auth/account/{account.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:2000]
    for tokens in (phone, laptop):
        refused = _call(tokens)
        assert (refused.status_code, _error(refused)["code"]) == (401, "SESSION_REVOKED")
        assert _refresh(tokens).status_code == 401
    assert _logouts(account.pk) == {phone["session_id"]: "password_reset", laptop["session_id"]: "password_reset"}
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


# --- two-step sign-in on and off ---------------------------------------------------------------------------------


def _age(tokens, *, minutes: int) -> None:
    Session.objects.filter(pk=tokens["session_id"]).update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_turning_two_step_sign_in_on_from_an_older_session_needs_the_password(account):
    here = _tokens(account)
    _age(here, minutes=30)  # a token in a thief's hands is no fresh sign-in

    without = _client(here).post("/api/v1/auth/mfa/enable", {}, format="json")
    wrong = _client(here).post("/api/v1/auth/mfa/enable", {"password": "not it"}, format="json")

    assert (without.status_code, _error(without)["code"]) == (403, "PERMISSION_DENIED")
    assert (wrong.status_code, _error(wrong)["code"]) == (400, "PASSWORD_INVALID")
    assert not TOTPDevice.objects.filter(user_id=account.pk).exists()
    assert _client(here).post("/api/v1/auth/mfa/enable", {"password": PASSWORD}, format="json").status_code == 200


def test_turning_two_step_sign_in_off_needs_a_code_and_the_password(api, account):
    codes, backup = _enable(api, account)
    tokens = _verify(api.defaults["REMOTE_ADDR"], _challenge(api.defaults["REMOTE_ADDR"], account), codes.next())
    client = _client(tokens.json()["data"])

    no_password = client.post("/api/v1/auth/mfa/disable", {"code": backup[0]}, format="json")
    no_code = client.post("/api/v1/auth/mfa/disable", {"password": PASSWORD}, format="json")
    wrong_password = client.post("/api/v1/auth/mfa/disable", {"code": backup[0], "password": "no"}, format="json")
    wrong_code = client.post("/api/v1/auth/mfa/disable", {"code": "000000", "password": PASSWORD}, format="json")

    assert (no_password.status_code, _error(no_password)["code"]) == (400, "VALIDATION_ERROR")
    assert (no_code.status_code, _error(no_code)["code"]) == (400, "VALIDATION_ERROR")
    assert (wrong_password.status_code, _error(wrong_password)["code"]) == (400, "PASSWORD_INVALID")
    assert (wrong_code.status_code, _error(wrong_code)["code"]) == (400, "MFA_INVALID_CODE")
    assert TOTPDevice.objects.filter(user_id=account.pk, confirmed=True).exists()
    done = client.post("/api/v1/auth/mfa/disable", {"code": backup[0], "password": PASSWORD}, format="json")
    assert done.status_code == 200
    assert not TOTPDevice.objects.filter(user_id=account.pk).exists()
