"""Nobody decides on their own access (decision 0027), and the deployment's first admin can use the API as one.

Issue 15: a manager could invite themselves as an executor and take executor scopes, and the superuser that
`make run` creates got a token with no role and no scopes.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import PASSWORD, person, signed_in
from ukbot.core.errors import PermissionDeniedError
from ukbot.users import public as users_public
from ukbot.users import services as users
from ukbot.users.models import Invitation, Profile, RoleGrant, VerificationApplication

pytestmark = pytest.mark.django_db


def _apartment() -> int:
    yard = users.yard_create(name=f"Yard {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="ул. Навои, 7")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return users.apartment_create(entrance_id=entrance.pk, number="12").pk


def test_a_manager_cannot_use_their_own_executor_invitation_but_the_invitee_can():
    manager_id = person("manager")
    manager = signed_in(manager_id)
    code = manager.post(
        "/api/v1/invitations",
        {"role": "executor", "specialization": "plumber", "expires_in": "24h"},
        format="json",
    ).json()["data"]["code"]

    refused = manager.post("/api/v1/invitations/accept", {"code": code}, format="json")

    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
    assert "executor" not in users_public.access_profile(account_id=manager_id).roles
    assert Invitation.objects.get().used_by is None  # still there for the person it was made for
    newcomer = person(profile=False)
    accepted = signed_in(newcomer).post("/api/v1/invitations/accept", {"code": code}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert "executor" in users_public.access_profile(account_id=newcomer).roles


def test_a_manager_cannot_verify_themselves_as_an_executor():
    manager_id = person("manager")
    manager = signed_in(manager_id)
    applied = manager.post("/api/v1/verification", {"specialization": "plumber"}, format="json")
    assert applied.status_code == 201, applied.content

    for body in ({"decision": "approve", "level": 5}, {"decision": "reject", "reason": "no"}):
        refused = manager.post(f"/api/v1/users/{manager_id}/verify", body, format="json")
        assert refused.status_code == 403, refused.content
        assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
    assert VerificationApplication.objects.get(account_id=manager_id).status == "pending"
    assert "executor" not in users_public.access_profile(account_id=manager_id).roles

    colleague = signed_in(person("manager"))
    approved = colleague.post(f"/api/v1/users/{manager_id}/verify", {"decision": "approve"}, format="json")
    assert approved.status_code == 200, approved.content
    assert "executor" in users_public.access_profile(account_id=manager_id).roles


def test_a_manager_cannot_approve_or_reject_their_own_apartment_link():
    manager_id = person("manager")
    manager = signed_in(manager_id)
    link = manager.post(
        "/api/v1/users/me/apartments", {"apartment_id": _apartment(), "relation": "owner"}, format="json"
    ).json()["data"]["id"]

    approve = manager.post(f"/api/v1/apartment-links/{link}/approve", {}, format="json")
    reject = manager.post(f"/api/v1/apartment-links/{link}/reject", {"reason": "mine"}, format="json")

    assert (approve.status_code, reject.status_code) == (403, 403)
    assert users_public.apartments_of(account_id=manager_id) == ()
    other = signed_in(person("manager")).post(f"/api/v1/apartment-links/{link}/approve", {}, format="json")
    assert other.status_code == 200, other.content


def test_nobody_grants_themselves_a_role_in_the_service_or_the_admin(client):
    admin_id = person("admin", account_fields={"is_staff": True, "is_superuser": True})
    with pytest.raises(PermissionDeniedError):
        users.role_grant(account_id=admin_id, role="executor", granted_by=admin_id)
    assert set(RoleGrant.objects.filter(profile__account_id=admin_id).values_list("role", flat=True)) == {"admin"}

    # the admin page says why and saves nothing (a second factor is not set up: staff without one sign in
    # with the password alone only in development)
    client.force_login(get_user_model().objects.get(pk=admin_id))
    profile_pk = Profile.objects.get(account_id=admin_id).pk
    page = f"/admin/users/profile/{profile_pk}/change/"
    form = client.get(page)
    assert form.status_code == 200
    grant = RoleGrant.objects.get(profile__account_id=admin_id)
    data = {
        "first_name": "Ada",
        "last_name": "",
        "phone": "",
        "language": "ru",
        "avatar_media_id": "",
        "bio": "",
        "settings": "{}",
        "role_grants-TOTAL_FORMS": "2",
        "role_grants-INITIAL_FORMS": "1",
        "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
        "role_grants-0-id": str(grant.pk),
        "role_grants-0-profile": str(admin_id),
        "role_grants-0-role": "admin",
        "role_grants-1-profile": str(admin_id),
        "role_grants-1-role": "executor",
        "specializations-TOTAL_FORMS": "0",
        "specializations-INITIAL_FORMS": "0",
        "specializations-MIN_NUM_FORMS": "0",
        "specializations-MAX_NUM_FORMS": "1000",
    }
    saved = client.post(page, data, follow=True)
    assert saved.status_code == 200
    form_errors = saved.context.get("errors") if saved.context else None
    assert not form_errors, form_errors
    assert "Никто не решает о собственном доступе" in saved.content.decode()  # the admin speaks Russian
    assert set(RoleGrant.objects.filter(profile__account_id=admin_id).values_list("role", flat=True)) == {"admin"}


def _token_scopes(username: str) -> tuple[dict, APIClient]:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    signed = client.post("/api/v1/auth/login", {"username": username, "password": PASSWORD}, format="json")
    assert signed.status_code == 200, signed.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed.json()['data']['access']}")
    return client.get("/api/v1/auth/validate").json()["data"], client


def test_the_first_admin_gets_the_admin_role_and_can_use_the_api(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("ensure_admin")
    call_command("ensure_admin")  # at every start: nothing changes the second time

    claims, client = _token_scopes("boss")

    assert claims["role"] == "admin"
    assert "admin:users" in claims["scopes"]
    assert client.get("/api/v1/users").status_code == 200
    account_id = get_user_model().objects.get(username="boss").pk
    access = users_public.access_profile(account_id=account_id)
    assert (access.roles, access.status) == (("admin",), "approved")


def test_a_superuser_made_by_createsuperuser_gets_the_role_at_the_next_start(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    get_user_model().objects.create_superuser(username="root2", email="", password=PASSWORD)
    assert users_public.access_profile(account_id=get_user_model().objects.get(username="root2").pk).roles == ()

    call_command("ensure_admin")

    claims, _client = _token_scopes("root2")
    assert claims["role"] == "admin"
