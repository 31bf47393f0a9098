"""Two-step sign-in through HTTP: TOTP enrolment with backup codes, the login challenge, lockout, admin login."""

from __future__ import annotations

import base64
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from ukbot.auth.models import LoginAttempt, Session
from ukbot.auth.telegram import sign_login_widget
from ukbot.auth.tests.conftest import PASSWORD, login
from ukbot.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _signed_in(api, account) -> APIClient:
    """A client holding an access token of ``account`` (signed in with the password only)."""
    data = login(APIClient(REMOTE_ADDR=api.defaults["REMOTE_ADDR"]), account.username).json()["data"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    return api


def _error(response) -> dict:
    return response.json()["error"]


class Codes:
    """TOTP codes of one device, each of a later time step than the one before (a code works once per step).

    With django-otp's default tolerance of one step and drift syncing, the next step's code is always accepted.
    """

    def __init__(self, device_id: int) -> None:
        self.device_id, self.ahead = device_id, -1

    def next(self) -> str:
        self.ahead += 1
        device = TOTPDevice.objects.get(pk=self.device_id)
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, self.ahead):06d}"


def _enable(api, account) -> tuple[Codes, list[str]]:
    """Set up and confirm an authenticator for ``account``; return its code source and the backup codes."""
    client = _signed_in(api, account)
    device_id = client.post("/api/v1/auth/mfa/enable").json()["data"]["device_id"]
    codes = Codes(device_id)
    confirmed = client.post("/api/v1/auth/mfa/enable/confirm", {"code": codes.next()}, format="json")
    assert confirmed.status_code == 200
    return codes, confirmed.json()["data"]["backup_codes"]


def _challenge(api, account) -> str:
    response = login(api, account.username)
    assert response.status_code == 200
    return response.json()["data"]["challenge"]


def _verify(api, challenge, code):
    return api.post("/api/v1/auth/mfa/verify", {"challenge": challenge, "code": code}, format="json")


def test_enable_shows_a_secret_and_qr_code_but_the_device_counts_only_once_confirmed(api, account):
    client = _signed_in(api, account)

    response = client.post("/api/v1/auth/mfa/enable")

    assert response.status_code == 200
    data = response.json()["data"]
    uri = urlsplit(data["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert account.username in uri.path
    device = TOTPDevice.objects.get(pk=data["device_id"])
    assert parse_qs(uri.query)["secret"] == [base64.b32encode(device.bin_key).decode()]
    assert base64.b64decode(data["qr_png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert (device.user_id, device.confirmed) == (account.pk, False)
    # not confirmed yet: the password alone still signs in
    assert "access" in login(api, account.username).json()["data"]

    again = client.post("/api/v1/auth/mfa/enable").json()["data"]
    assert list(TOTPDevice.objects.filter(user_id=account.pk).values_list("pk", flat=True)) == [again["device_id"]]


def test_confirm_with_a_wrong_code_fails_and_with_the_right_one_returns_ten_backup_codes(api, account):
    client = _signed_in(api, account)
    codes = Codes(client.post("/api/v1/auth/mfa/enable").json()["data"]["device_id"])

    wrong = client.post("/api/v1/auth/mfa/enable/confirm", {"code": "000000"}, format="json")
    assert wrong.status_code == 400
    assert _error(wrong)["code"] == "MFA_INVALID_CODE"
    assert not TOTPDevice.objects.get(user_id=account.pk).confirmed
    assert not OutboxEvent.objects.filter(type="auth.mfa_enabled").exists()

    right = client.post("/api/v1/auth/mfa/enable/confirm", {"code": codes.next()}, format="json")

    assert right.status_code == 200
    backup = right.json()["data"]["backup_codes"]
    assert len(backup) == len(set(backup)) == 10
    assert TOTPDevice.objects.get(user_id=account.pk).confirmed
    stored = StaticToken.objects.filter(device__user_id=account.pk)
    assert sorted(stored.values_list("token", flat=True)) == sorted(backup)
    event = OutboxEvent.objects.get(type="auth.mfa_enabled")
    assert event.data["account_id"] == account.pk and event.data["timestamp"]
    # a second enrolment is refused while one is active
    assert _error(client.post("/api/v1/auth/mfa/enable"))["code"] == "CONFLICT"


def test_login_with_a_device_gives_a_challenge_that_a_code_completes(api, account, ip):
    codes, _backup = _enable(api, account)
    sessions_before = Session.objects.count()

    started = login(api, account.username)

    assert started.status_code == 200
    data = started.json()["data"]
    assert (data["mfa_required"], data["expires_in"]) == (True, 300)
    assert "access" not in data
    assert Session.objects.count() == sessions_before  # no tokens yet

    verified = _verify(api, data["challenge"], codes.next())

    assert verified.status_code == 200
    tokens = verified.json()["data"]
    session = Session.objects.get(pk=tokens["session_id"])
    assert (session.account_id, session.method, session.ip) == (account.pk, "password+totp", ip)
    assert LoginAttempt.objects.filter(account_id=account.pk, method="password+totp", reason="ok").count() == 1
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/v1/auth/validate").json()["data"]["session_id"] == tokens["session_id"]


def test_a_totp_code_is_refused_the_second_time_within_its_step(api, account):
    codes, _backup = _enable(api, account)
    code = codes.next()
    assert _verify(api, _challenge(api, account), code).status_code == 200

    replay = _verify(api, _challenge(api, account), code)

    assert replay.status_code == 400
    assert _error(replay)["code"] == "MFA_INVALID_CODE"
    assert LoginAttempt.objects.filter(account_id=account.pk, reason="bad_otp").count() == 1


def test_a_backup_code_works_once(api, account):
    _codes, backup = _enable(api, account)

    first = _verify(api, _challenge(api, account), backup[0].upper())  # case and spaces do not matter
    again = _verify(api, _challenge(api, account), backup[0])

    assert first.status_code == 200
    assert _error(again)["code"] == "MFA_INVALID_CODE"
    assert StaticToken.objects.filter(device__user_id=account.pk).count() == 9


def test_wrong_codes_lock_the_username_even_for_the_right_code(api, account, settings):
    codes, _backup = _enable(api, account)
    settings.LOGIN_MAX_FAILURES = 3
    challenge = _challenge(api, account)
    for wrong in ("000000", "111111", "nope-nope"):
        assert _error(_verify(api, challenge, wrong))["code"] == "MFA_INVALID_CODE"

    locked = _verify(api, challenge, codes.next())

    assert locked.status_code == 429
    assert _error(locked)["code"] == "TOO_MANY_ATTEMPTS"
    assert int(locked["Retry-After"]) > 0
    assert login(api, account.username).status_code == 429  # the password step is locked too
    reasons = list(LoginAttempt.objects.filter(account_id=account.pk, method="password+totp").values_list("reason"))
    assert sorted(r for (r,) in reasons) == ["bad_otp", "bad_otp", "bad_otp", "locked"]
    assert not Session.objects.filter(account_id=account.pk, method="password+totp").exists()


def test_a_tampered_challenge_is_refused(api, account):
    codes, _backup = _enable(api, account)
    challenge = _challenge(api, account)
    payload = signing.loads(challenge, salt="ukbot.auth.mfa-challenge")
    forged = signing.dumps({**payload, "a": payload["a"] + 1}, salt="another-salt")

    for bad in (forged, challenge[:-2] + ("AA" if not challenge.endswith("AA") else "BB"), "garbage"):
        response = _verify(api, bad, codes.next())
        assert response.status_code == 401
        assert _error(response)["code"] == "MFA_CHALLENGE_INVALID"
    assert not Session.objects.filter(account_id=account.pk, method="password+totp").exists()


def test_a_challenge_works_once(api, account):
    codes, _backup = _enable(api, account)
    challenge = _challenge(api, account)
    assert _verify(api, challenge, codes.next()).status_code == 200

    reused = _verify(api, challenge, codes.next())

    assert reused.status_code == 401
    assert _error(reused)["code"] == "MFA_CHALLENGE_INVALID"
    assert Session.objects.filter(account_id=account.pk, method="password+totp").count() == 1


def test_an_expired_challenge_is_refused(api, account, settings):
    codes, _backup = _enable(api, account)
    settings.MFA_CHALLENGE_SECONDS = 1
    challenge = _challenge(api, account)
    time.sleep(2.1)

    expired = _verify(api, challenge, codes.next())

    assert expired.status_code == 401
    assert _error(expired)["code"] == "MFA_CHALLENGE_INVALID"


def test_disable_needs_a_valid_code_and_then_the_password_alone_signs_in(api, account):
    codes, backup = _enable(api, account)
    tokens = _verify(api, _challenge(api, account), codes.next()).json()["data"]
    client = APIClient(REMOTE_ADDR=api.defaults["REMOTE_ADDR"], HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    wrong = client.post("/api/v1/auth/mfa/disable", {"code": "123456", "password": PASSWORD}, format="json")
    assert wrong.status_code == 400
    assert _error(wrong)["code"] == "MFA_INVALID_CODE"
    assert TOTPDevice.objects.filter(user_id=account.pk).exists()

    done = client.post("/api/v1/auth/mfa/disable", {"code": backup[3], "password": PASSWORD}, format="json")

    assert done.status_code == 200
    assert done.json()["data"] == {"mfa_enabled": False}
    assert not TOTPDevice.objects.filter(user_id=account.pk).exists()
    assert not StaticDevice.objects.filter(user_id=account.pk).exists()
    assert "access" in login(api, account.username).json()["data"]
    again = client.post("/api/v1/auth/mfa/disable", {"code": "123456", "password": PASSWORD}, format="json")
    assert _error(again)["code"] == "CONFLICT"


def test_mfa_endpoints_other_than_verify_need_a_signed_in_caller(api):
    for path in ("/api/v1/auth/mfa/enable", "/api/v1/auth/mfa/enable/confirm", "/api/v1/auth/mfa/disable"):
        response = api.post(path, {"code": "123456"}, format="json")
        assert response.status_code == 401, path


# --- the admin site ---------------------------------------------------------------------------------------


def _staff(**extra):
    model = get_user_model()
    return model.objects.create_user(
        username=f"staff-{uuid.uuid4().hex[:8]}", password=PASSWORD, is_staff=True, **extra
    )


def _adminlogin(client, username, **extra):
    return client.post(
        "/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/", **extra}, follow=False
    )


def test_admin_login_without_a_device_needs_no_code():
    staff = _staff()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    assert b"otp_token" in client.get("/admin/login/").content
    response = _adminlogin(client, staff.username)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_of_staff_with_a_device_needs_its_code(api):
    staff = _staff()
    codes, _backup = _enable(api, staff)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    no_code = _adminlogin(client, staff.username)
    assert no_code.status_code == 200  # the form again, with the error
    assert b"Enter the one-time code" in no_code.content
    wrong = _adminlogin(client, staff.username, otp_token="000000")
    assert b"The code is wrong, expired or already used." in wrong.content
    assert client.get("/admin/").status_code == 302  # still not in

    response = _adminlogin(client, staff.username, otp_token=codes.next())

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_with_a_device_signed_in_without_a_code_are_not_let_in(api):
    staff = _staff()
    _enable(api, staff)
    client = Client()
    client.force_login(staff)  # a session that no code verified

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_wrong_codes_at_the_admin_login_count_toward_the_lockout(api, settings):
    staff = _staff()
    codes, _backup = _enable(api, staff)
    settings.LOGIN_MAX_FAILURES = 2
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="192.0.2.10")
    for wrong in ("000000", "111111"):
        _adminlogin(client, staff.username, otp_token=wrong)

    locked = _adminlogin(client, staff.username, otp_token=codes.next())

    assert b"Too many failed attempts." in locked.content
    assert client.get("/admin/").status_code == 302
    assert login(api, staff.username).status_code == 429  # and the API sign-in of that username


def test_telegram_sign_in_of_an_account_with_a_second_factor_needs_the_code(api, account, settings):
    settings.TELEGRAM_BOT_TOKEN = "123456:TEST-token-for-signatures"
    tg_id = uuid.uuid4().int % 10**9
    get_user_model().objects.filter(pk=account.pk).update(telegram_id=tg_id)
    codes, _ = _enable(api, account)
    widget = sign_login_widget(
        {"id": str(tg_id), "first_name": "Aziz", "auth_date": str(int(time.time()))},
        bot_token=settings.TELEGRAM_BOT_TOKEN,
    )

    started = APIClient(REMOTE_ADDR=api.defaults["REMOTE_ADDR"]).post(
        "/api/v1/auth/telegram", {"widget": widget}, format="json"
    )
    assert started.status_code == 200
    assert started.json()["data"]["mfa_required"] is True
    assert "access" not in started.json()["data"]

    done = APIClient(REMOTE_ADDR=api.defaults["REMOTE_ADDR"]).post(
        "/api/v1/auth/mfa/verify",
        {"challenge": started.json()["data"]["challenge"], "code": codes.next()},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert Session.objects.get(pk=done.json()["data"]["session_id"]).method == "telegram+totp"


def test_admin_logins_are_recorded_and_password_guesses_there_lock_out(settings):
    settings.LOGIN_MAX_FAILURES = 3
    staff = _staff()
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.200.1.2")

    assert _adminlogin(client, staff.username).status_code == 302
    for _ in range(3):
        assert _adminlogin(client, staff.username, password="wrong").status_code == 200
    locked = _adminlogin(Client(HTTP_ACCEPT_LANGUAGE="en"), staff.username)  # the right password, locked out

    assert locked.status_code == 200
    assert "Too many failed attempts" in locked.content.decode()
    reasons = list(
        LoginAttempt.objects.filter(username=staff.username, method="admin")
        .order_by("pk")
        .values_list("reason", flat=True)
    )
    assert reasons == ["ok", "bad_credentials", "bad_credentials", "bad_credentials", "locked"]
    assert LoginAttempt.objects.filter(username=staff.username, reason="ok").get().ip == "10.200.1.2"
