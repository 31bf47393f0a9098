"""auth × users × notifications: a block, a withdrawn role, a forgotten person or two-step sign-in turned on ends
the sessions it should at once (issue 15); turning two-step sign-in on also tells the person.

Access tokens live 15 minutes; before, a blocked resident could still file requests and a demoted manager still
list everything until the next refresh. Now the very next API call with a token issued before is refused, and the
refresh token is dead too.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.test import APIClient

from ukbot.auth.models import Session
from ukbot.auth.tests.test_mfa import Codes
from ukbot.core.events.relay import drain
from ukbot.core.models import OutboxEvent
from ukbot.notifications.models import Notification
from ukbot.users import services as users

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def person():
    account = get_user_model().objects.create_user(username=f"s-{uuid.uuid4().hex[:8]}", password=PASSWORD)
    users.profile_create(account_id=account.pk, first_name="Dilnoza")
    users.role_grant(account_id=account.pk, role="applicant", granted_by=None)
    return account


def _login(account) -> dict:
    response = APIClient().post(
        "/api/v1/auth/login", {"username": account.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def _call(tokens):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client.get("/api/v1/auth/sessions")


def _refresh(tokens):
    return APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")


def _refused(response, status: int, code: str) -> bool:
    return (response.status_code, response.json()["error"]["code"]) == (status, code)


def _logouts(account_id: int) -> dict[str, str]:
    return {
        event.data["session_id"]: event.data["reason"]
        for event in OutboxEvent.objects.filter(type="auth.logout", subject=str(account_id))
    }


def test_blocking_ends_every_session_at_once(person):
    phone, laptop = _login(person), _login(person)
    assert _call(phone).status_code == 200

    users.profile_block(account_id=person.pk)

    # told why, as at refresh and sign-in: signing in again would not help
    assert _refused(_call(phone), 403, "ACCOUNT_BLOCKED")
    assert _refused(_call(laptop), 403, "ACCOUNT_BLOCKED")
    assert _refused(_refresh(phone), 403, "ACCOUNT_BLOCKED")
    assert _refused(_refresh(laptop), 403, "ACCOUNT_BLOCKED")
    assert _logouts(person.pk) == {phone["session_id"]: "blocked", laptop["session_id"]: "blocked"}
    # unblocked, the old sessions stay ended (SESSION_REVOKED: sign in again) and a new one works
    users.profile_unblock(account_id=person.pk)
    assert _refused(_call(phone), 401, "SESSION_REVOKED")
    assert _call(_login(person)).status_code == 200


def test_a_rolled_back_block_ends_no_session(person):
    tokens = _login(person)

    with pytest.raises(RuntimeError), transaction.atomic():
        users.profile_block(account_id=person.pk)
        raise RuntimeError

    assert _call(tokens).status_code == 200
    assert _logouts(person.pk) == {}


def test_withdrawing_a_role_ends_its_sessions_at_once_and_spares_the_other_roles(person):
    users.role_grant(account_id=person.pk, role="manager", granted_by=None)
    users.active_role_switch(account_id=person.pk, role="manager")
    as_manager = _login(person)
    users.active_role_switch(account_id=person.pk, role="applicant")
    as_applicant = _login(person)
    assert _call(as_manager).status_code == 200

    users.role_revoke(account_id=person.pk, role="manager", revoked_by=None)

    assert _refused(_call(as_manager), 401, "SESSION_REVOKED")
    assert _refused(_refresh(as_manager), 401, "SESSION_REVOKED")
    assert _call(as_applicant).status_code == 200
    assert _refresh(as_applicant).status_code == 200
    assert _logouts(person.pk) == {as_manager["session_id"]: "role_withdrawn"}


def test_a_token_of_the_role_a_session_switched_away_from_is_refused(person):
    users.role_grant(account_id=person.pk, role="manager", granted_by=None)
    users.active_role_switch(account_id=person.pk, role="manager")
    as_manager = _login(person)
    users.active_role_switch(account_id=person.pk, role="applicant")
    refreshed = _refresh(as_manager).json()["data"]  # the same session, now as an applicant

    users.role_revoke(account_id=person.pk, role="manager", revoked_by=None)

    assert _refused(_call(as_manager), 401, "SESSION_REVOKED")  # the manager token minted before the switch
    assert _call(refreshed).status_code == 200


def test_forgetting_a_person_ends_their_sessions_at_once(person):
    tokens = _login(person)

    users.person_forget(account_id=person.pk, requested_by=person.pk)  # before the relay delivers user.forgotten

    assert _refused(_call(tokens), 403, "ACCOUNT_BLOCKED")  # a forgotten profile is blocked for good
    assert _refresh(tokens).status_code in (401, 403)
    assert Session.objects.get(pk=tokens["session_id"]).revoke_reason == "forgotten"
    assert _logouts(person.pk) == {tokens["session_id"]: "forgotten"}


def test_turning_two_step_sign_in_on_ends_the_other_sessions_and_tells_the_person(person):
    here, phone = _login(person), _login(person)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {here['access']}")
    device_id = client.post("/api/v1/auth/mfa/enable", {"password": PASSWORD}, format="json").json()["data"]
    assert _call(phone).status_code == 200  # only confirming turns it on

    confirmed = client.post(
        "/api/v1/auth/mfa/enable/confirm", {"code": Codes(device_id["device_id"]).next()}, format="json"
    )

    assert confirmed.status_code == 200
    assert _refused(_call(phone), 401, "SESSION_REVOKED")
    assert _refused(_refresh(phone), 401, "SESSION_REVOKED")
    assert _call(here).status_code == 200
    assert _logouts(person.pk) == {phone["session_id"]: "mfa_enabled"}
    assert not Notification.objects.filter(account_id=person.pk).exists()
    drain(max_seconds=10)
    told = Notification.objects.filter(account_id=person.pk, event_type="auth.mfa_enabled")
    assert {n.title for n in told} == {"Включён двухэтапный вход"}  # in the person's language (Russian)
