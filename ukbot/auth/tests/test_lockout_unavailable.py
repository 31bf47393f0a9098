"""The sign-in lockout with Redis hung (decision 0033): sign-in is refused with 503, promptly, in the documented
format and the caller's language; the admin's sign-in form says so instead of failing with a server error."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from tests.processes import PrivateRedis
from ukbot.auth.models import LoginAttempt
from ukbot.auth.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def hung_redis(settings):
    """The lockout's Redis accepts connections and answers nothing; sign-in throttling off, so the lockout answers."""
    server = PrivateRedis()
    try:
        settings.REDIS_URL = server.url
        settings.API_RATE_SIGN_IN = "off"
        server.hang()
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Вход временно недоступен. Повторите через 30 с."),
        ("uz", "Kirish vaqtincha ishlamayapti. 30 soniyadan keyin qayta urinib koʻring."),
        ("en", "Sign-in is temporarily unavailable. Try again in 30 seconds."),
    ],
)
def test_password_sign_in_is_refused_with_503_while_redis_hangs(hung_redis, account, ip, language, message):
    started = time.monotonic()
    response = APIClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/auth/login", {"username": account.username, "password": PASSWORD}, format="json"
    )
    took = time.monotonic() - started

    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("SERVICE_UNAVAILABLE", message)
    assert error["details"] == [{"field": "retry_after", "message": "30"}]
    assert response["Retry-After"] == "30"
    assert took < 10  # the Redis timeout (1 s by default), not a hang
    # and no password was checked: nothing was recorded as a failure or a success
    assert not LoginAttempt.objects.filter(username=account.username).exists()


def test_the_admin_sign_in_form_says_sign_in_is_unavailable(hung_redis, client, admin_user):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_user.username, "password": "password"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200  # the form again, with the reason, not a server error
    assert "Sign-in is temporarily unavailable." in response.content.decode()
    assert "_auth_user_id" not in client.session
