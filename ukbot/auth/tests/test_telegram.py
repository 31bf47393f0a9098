"""Sign-in with Telegram through HTTP: Login Widget and Mini App data, forged and stale data, first sign-up."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from ukbot.auth.models import LoginAttempt, Session
from ukbot.auth.telegram import sign_login_widget
from ukbot.users import public as users_public

pytestmark = pytest.mark.django_db
BOT_TOKEN = "123456:TEST-token-for-signatures"


@pytest.fixture(autouse=True)
def bot_token(settings):
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN


@pytest.fixture
def api():
    return APIClient(REMOTE_ADDR=f"10.77.{random.randint(0, 250)}.{random.randint(1, 250)}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def tg_id():
    return random.randint(10**8, 10**10)


def _widget(tg_id, *, token=BOT_TOKEN, auth_date=None, **extra):
    fields = {"id": str(tg_id), "first_name": "Aziz", "username": "aziz"}
    fields["auth_date"] = str(auth_date or int(time.time()))
    return sign_login_widget({**fields, **extra}, bot_token=token)


def _init_data(tg_id, *, language="uz", auth_date=None, token=BOT_TOKEN) -> str:
    # signed here independently of our code, exactly as Telegram's documentation describes
    fields = {
        "query_id": "AAH" + uuid.uuid4().hex[:10],
        "user": json.dumps({"id": tg_id, "first_name": "Nodira", "language_code": language}, separators=(",", ":")),
        "auth_date": str(auth_date or int(time.time())),
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def _post(api, body):
    return api.post("/api/v1/auth/telegram", body, format="json")


def _error(response) -> dict:
    return response.json()["error"]


def test_a_new_telegram_user_becomes_an_applicant_and_gets_tokens(api, tg_id):
    response = _post(api, {"widget": _widget(tg_id)})

    assert response.status_code == 200, response.content
    account = get_user_model().objects.get(telegram_id=tg_id)
    assert account.username == f"tg{tg_id}"
    assert account.first_name == "Aziz"
    assert not account.has_usable_password()
    assert users_public.access_profile(account_id=account.pk).roles == ("applicant",)
    session = Session.objects.get(pk=response.json()["data"]["session_id"])
    assert (session.account_id, session.method) == (account.pk, "telegram")
    assert LoginAttempt.objects.get(account_id=account.pk).method == "telegram"

    again = _post(api, {"widget": _widget(tg_id)})  # the second time: the same account, no new one
    assert again.status_code == 200
    assert get_user_model().objects.filter(telegram_id=tg_id).count() == 1


def test_mini_app_init_data_signs_in_and_takes_the_users_language(api, tg_id):
    response = _post(api, {"init_data": _init_data(tg_id, language="uz")})

    assert response.status_code == 200, response.content
    account = get_user_model().objects.get(telegram_id=tg_id)
    assert users_public.access_profile(account_id=account.pk).language == "uz"


def test_a_staff_member_linked_to_telegram_signs_into_their_own_account(api, tg_id):
    staff = get_user_model().objects.create_user(username=f"staff-{tg_id}", password="x" * 12, telegram_id=tg_id)

    response = _post(api, {"widget": _widget(tg_id)})

    assert response.status_code == 200
    assert Session.objects.get(pk=response.json()["data"]["session_id"]).account_id == staff.pk
    assert users_public.access_profile(account_id=staff.pk).roles == ()  # not made an applicant


@pytest.mark.parametrize(
    "forge",
    ["other bot's token", "changed after signing", "no hash", "mini app signed by another bot"],
)
def test_forged_data_is_refused_and_creates_nobody(api, tg_id, forge):
    body = {
        "other bot's token": {"widget": _widget(tg_id, token="999:another-bot")},
        "changed after signing": {"widget": {**_widget(tg_id), "first_name": "Mallory"}},
        "no hash": {"widget": {**_widget(tg_id), "hash": "0" * 64}},
        "mini app signed by another bot": {"init_data": _init_data(tg_id, token="999:another-bot")},
    }[forge]

    response = _post(api, body)

    assert response.status_code == 401
    assert _error(response)["code"] == "TELEGRAM_AUTH_INVALID"
    assert not get_user_model().objects.filter(telegram_id=tg_id).exists()
    assert LoginAttempt.objects.get(method="telegram").reason == "bad_signature"


@pytest.mark.parametrize("kind", ["widget", "init_data"])
def test_stale_data_is_refused(api, tg_id, kind):
    two_days_ago = int(time.time()) - 2 * 86400
    body = (
        {"widget": _widget(tg_id, auth_date=two_days_ago)}
        if kind == "widget"
        else {"init_data": _init_data(tg_id, auth_date=two_days_ago)}
    )

    response = _post(api, body)

    assert response.status_code == 401
    assert _error(response)["code"] == "TELEGRAM_AUTH_EXPIRED"
    assert not get_user_model().objects.filter(telegram_id=tg_id).exists()


def test_without_a_bot_token_telegram_sign_in_is_unavailable(api, tg_id, settings):
    settings.TELEGRAM_BOT_TOKEN = None
    response = _post(api, {"widget": _widget(tg_id)})
    assert response.status_code == 503
    assert _error(response)["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"widget": {"id": "1", "auth_date": "1", "hash": "a"}, "init_data": "x=1"},
        {"widget": {"id": "1", "auth_date": "1"}},
        {"widget": {"id": "abc", "auth_date": "1", "hash": "a"}},
        {"init_data": "x" * 5000},
        {"widget": {"id": "1", "auth_date": "1", "hash": "a"}, "extra": 1},
    ],
)
def test_malformed_requests_are_validation_errors(api, body):
    response = _post(api, body)
    assert response.status_code == 400
    assert _error(response)["code"] == "VALIDATION_ERROR"
    assert LoginAttempt.objects.count() == 0


def test_repeated_forgeries_from_one_address_lock_it_out(api, tg_id, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    for _ in range(3):
        _post(api, {"widget": _widget(tg_id, token="999:another-bot")})

    response = _post(api, {"widget": _widget(tg_id)})  # even genuine data, from that address

    assert response.status_code == 429
    assert _error(response)["code"] == "TOO_MANY_ATTEMPTS"


def test_forgeries_from_elsewhere_do_not_lock_out_other_addresses(tg_id, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 2
    settings.LOGIN_MAX_FAILURES = 2
    for n in range(6):
        _post(APIClient(REMOTE_ADDR=f"10.99.0.{n + 1}"), {"widget": _widget(tg_id, token="999:another-bot")})

    response = _post(APIClient(REMOTE_ADDR="10.99.1.1"), {"widget": _widget(tg_id)})

    assert response.status_code == 200
