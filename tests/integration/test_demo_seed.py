"""`manage.py seed_demo` (run by `make run`): places and people once, skipped with DEMO=0, usable for sign-in."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from ukbot.auth import public as auth_public
from ukbot.users import public as users_public

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue().strip()


def test_demo_data_is_loaded_once(settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"

    first = _seed()
    second = _seed()

    assert first == ("demo data: users (2 yards, 5 buildings, 80 apartments, 3 staff, 10 executors, 4 residents)")
    assert second == "demo data: users (already there)"
    login = APIClient().post(
        "/api/v1/auth/login", {"username": "demo-manager-1", "password": "demo-password-for-tests"}, format="json"
    )
    assert login.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['data']['access']}")
    assert client.get("/api/v1/auth/validate").json()["data"]["role"] == "manager"


def test_every_specialization_has_a_demo_executor(settings):
    _seed()

    for key in (
        "electrician",
        "plumber",
        "heating",
        "ventilation",
        "elevator",
        "cleaning",
        "security",
        "landscaping",
        "repair",
        "universal",
    ):
        account = auth_public.account_get(username=f"demo-{key}")
        assert users_public.access_profile(account_id=account.id).roles == ("executor",)


def test_without_a_demo_password_demo_people_cannot_sign_in(settings):
    settings.DEMO_PASSWORD = None
    _seed()
    login = APIClient().post("/api/v1/auth/login", {"username": "demo-manager-1", "password": ""}, format="json")
    assert login.status_code in (400, 401)


def test_demo_can_be_switched_off(settings):
    settings.DEMO = False
    assert _seed() == "demo data: skipped (DEMO=0)"
