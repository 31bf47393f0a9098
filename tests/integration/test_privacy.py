"""Personal data rights through HTTP: consent, export from every app, forgetting in every app via the event."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import media_file, person, signed_in
from ukbot.auth.handlers import forget_account
from ukbot.auth.models import LoginAttempt, Session
from ukbot.core.events import Event
from ukbot.core.events.relay import drain
from ukbot.core.models import OutboxEvent
from ukbot.users.services import verification

pytestmark = pytest.mark.django_db(transaction=True)


def _person(role: str = "applicant", **profile) -> tuple[int, str]:
    username = f"p-{uuid.uuid4().hex[:10]}"
    fields = {"email": f"{username}@example.org", "telegram_id": uuid.uuid4().int % 10**9}
    return person(role, username=username, account_fields=fields, **profile), username


def _client(username: str, **extra) -> APIClient:
    return signed_in(get_user_model().objects.get(username=username).pk, **extra)


def test_export_gathers_the_persons_data_from_every_app():
    account_id, username = _person(first_name="Nodira", phone="+998901112233")
    client = _client(username, HTTP_USER_AGENT="Redmi Note", REMOTE_ADDR="10.20.30.40")
    assert client.post("/api/v1/users/me/consent", {"text_version": "2026-11"}, format="json").status_code == 201
    verification.verification_apply(account_id=account_id, specialization="plumber", documents=[media_file(account_id)])

    export = client.get(f"/api/v1/users/{account_id}/export").json()["data"]

    assert export["account_id"] == account_id
    assert export["users"]["profile"]["first_name"] == "Nodira"
    assert export["users"]["profile"]["phone"] == "+998901112233"
    assert export["users"]["roles"] == ["applicant"]
    assert export["users"]["consents"][0]["text_version"] == "2026-11"
    assert export["users"]["verification_applications"][0]["specialization"] == "plumber"
    assert export["auth"]["account"]["username"] == username
    assert export["auth"]["account"]["email"] == f"{username}@example.org"
    assert export["auth"]["sessions"][0]["device"] == "Redmi Note"
    assert export["auth"]["login_attempts"][0]["ip"] == "10.20.30.40"


def test_forgetting_anonymises_the_person_everywhere_and_keeps_the_records():
    account_id, username = _person(first_name="Bobur", phone="+998905556677")
    client = _client(username, HTTP_USER_AGENT="iPhone", REMOTE_ADDR="10.1.1.1")
    other_id, _ = _person()

    response = client.post(f"/api/v1/users/{account_id}/forget")
    assert response.status_code == 200
    assert OutboxEvent.objects.get(type="user.forgotten").data["account_id"] == account_id
    drain(max_seconds=10)  # the relay delivers user.forgotten to auth's handler

    account = get_user_model().objects.get(pk=account_id)
    assert (account.username, account.email, account.telegram_id, account.is_active) == (
        f"forgotten-{account_id}",
        "",
        None,
        False,
    )
    assert not account.has_usable_password()
    assert not Session.objects.filter(account_id=account_id, revoked_at__isnull=True).exists()
    assert Session.objects.filter(account_id=account_id).count() == 1  # the record stays, without device or IP
    assert set(Session.objects.filter(account_id=account_id).values_list("device", "ip")) == {("", None)}
    assert not LoginAttempt.objects.filter(username__iexact=username).exists()
    assert client.get("/api/v1/auth/validate").status_code == 401  # their session is over

    _, admin_name = _person("admin")
    export = _client(admin_name).get(f"/api/v1/users/{account_id}/export").json()["data"]
    profile = export["users"]["profile"]
    assert (profile["first_name"], profile["phone"], profile["status"]) == ("", "", "blocked")
    assert export["users"]["roles"] == ["applicant"]  # not personal: statistics stay whole
    assert export["auth"]["account"]["username"] == f"forgotten-{account_id}"
    assert get_user_model().objects.get(pk=other_id).is_active  # nobody else touched


def test_only_the_person_or_an_admin_may_export_or_forget():
    target_id, _ = _person()
    _, manager = _person("manager")
    _, stranger = _person()

    for username in (manager, stranger):
        client = _client(username)
        assert client.get(f"/api/v1/users/{target_id}/export").status_code == 403
        assert client.post(f"/api/v1/users/{target_id}/forget").status_code == 403
    assert get_user_model().objects.get(pk=target_id).is_active


@pytest.mark.parametrize("body", [{}, {"text_version": ""}, {"text_version": "x" * 41}, {"text_version": "1", "x": 1}])
def test_bad_consent_input_records_nothing(body):
    _, username = _person()
    response = _client(username).post("/api/v1/users/me/consent", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_forgetting_twice_is_harmless():
    account_id, username = _person()
    client = _client(username)
    client.post(f"/api/v1/users/{account_id}/forget")
    drain(max_seconds=10)
    # the handler may run again (at-least-once delivery): nothing breaks
    row = OutboxEvent.objects.get(type="user.forgotten")
    forget_account(
        Event(id=row.id, type=row.type, source=row.source, subject=row.subject, time=row.time, data=row.data)
    )
    assert get_user_model().objects.get(pk=account_id).username == f"forgotten-{account_id}"
