"""Sessions end when they should, at once: the MFA challenge is bound to its client (issue 15)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ukbot.auth.models import Session
from ukbot.auth.tests.conftest import login
from ukbot.auth.tests.test_mfa import _enable

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
