"""The permission matrix of the identity endpoints not covered by test_users_api: every endpoint × every role ×
own/other resource, through HTTP with real tokens. Expectations come from the declared scope matrix, so a view
that forgets its check (or checks the wrong scope) fails here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import ROLES, executor, media_file, person, signed_in
from ukbot.requests import services as requests_services
from ukbot.users import roles
from ukbot.users import services as users
from ukbot.users.services import invitations, verification

pytestmark = pytest.mark.django_db


@dataclass
class World:
    caller: int
    other: int
    apartments: list[int]
    other_link: int
    own_application: int
    other_application: int
    invitation: int
    code: str
    number: str  # a new request, in a building with coordinates
    plumber: int  # a verified plumber who may take it


@pytest.fixture
def world(request) -> World:
    role = request.node.callspec.params["role"]
    yard = users.yard_create(name=f"Yard {uuid.uuid4().hex[:6]}")
    building = users.building_create(
        yard_id=yard.pk, address="Юнусабад-4, дом 12", latitude=Decimal("41.3575"), longitude=Decimal("69.287")
    )
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartments = [users.apartment_create(entrance_id=entrance.pk, number=str(n)).pk for n in (1, 2, 3)]
    caller, other = person(role), person("applicant")
    link = users.apartment_link_request(account_id=other, apartment_id=apartments[0], relation="tenant")
    own_app = verification.verification_apply(account_id=caller, specialization="repair", documents=[])
    other_app = verification.verification_apply(account_id=other, specialization="heating", documents=[])
    invitation = invitations.invitation_create(created_by=1, role="inspector", expires_in="1h")
    accept = invitations.invitation_create(created_by=1, role="inspector", expires_in="1h")
    number = requests_services.request_create(
        applicant_id=other, category="plumbing", description="Leak", building_id=building.pk, source="phone"
    ).number
    plumber = executor("plumber")
    return World(
        caller,
        other,
        apartments,
        link.pk,
        own_app.pk,
        other_app.pk,
        invitation.invitation.pk,
        accept.code,
        number,
        plumber,
    )


# (method, path, body, scopes needed)
ENDPOINTS = [
    ("get", "/api/v1/users/me/apartments", None, ()),
    ("post", "/api/v1/users/me/apartments", lambda w: {"apartment_id": w.apartments[1], "relation": "owner"}, ()),
    ("get", "/api/v1/apartment-links", None, (roles.WRITE_USERS,)),
    ("post", "/api/v1/apartment-links/{other_link}/approve", {}, (roles.WRITE_USERS,)),
    ("post", "/api/v1/apartment-links/{other_link}/reject", {"reason": "Not a resident."}, (roles.WRITE_USERS,)),
    ("get", "/api/v1/invitations", None, (roles.WRITE_USERS,)),
    ("post", "/api/v1/invitations", {"role": "inspector", "expires_in": "1h"}, (roles.WRITE_USERS,)),
    ("post", "/api/v1/invitations/{invitation}/revoke", None, (roles.WRITE_USERS,)),
    ("post", "/api/v1/invitations/accept", lambda w: {"code": w.code}, ()),
    ("get", "/api/v1/verification", None, (roles.WRITE_USERS,)),
    ("get", "/api/v1/verification/{own_application}/status", None, ()),
    ("get", "/api/v1/verification/{other_application}/status", None, (roles.READ_USERS,)),
    ("post", "/api/v1/verification/{own_application}/documents", lambda w: {"documents": [media_file(w.caller)]}, ()),
    ("post", "/api/v1/users/{other}/verify", {"decision": "approve"}, (roles.WRITE_USERS,)),
    ("get", "/api/v1/users/{caller}/export", None, ()),
    ("get", "/api/v1/users/{other}/export", None, (roles.ADMIN_USERS,)),
    ("post", "/api/v1/users/{other}/forget", None, (roles.ADMIN_USERS,)),
    ("post", "/api/v1/users/me/consent", {"text_version": "2026-11"}, ()),
    ("get", "/api/v1/auth/validate", None, ()),
    ("get", "/api/v1/auth/sessions", None, ()),
    ("get", "/api/v1/assignments/recommendations?request={number}", None, (roles.ADMIN_REQUESTS,)),
    (
        "post",
        "/api/v1/assignments/manual-assign",
        lambda w: {"request": w.number, "executor_id": w.plumber},
        (roles.ADMIN_REQUESTS,),
    ),
    ("get", "/api/v1/assignments", None, (roles.ADMIN_REQUESTS,)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "scopes"), ENDPOINTS)
def test_permission_matrix(role, method, path, body, scopes, world):
    url = path.format(**vars(world))
    payload = body(world) if callable(body) else body

    response = getattr(signed_in(world.caller), method)(url, payload, format="json")

    allowed = all(scope in roles.ROLE_SCOPES[role] for scope in scopes)
    if allowed:
        assert response.status_code < 400, (role, method, url, response.content)
    else:
        assert response.status_code == 403, (role, method, url, response.content)
        assert response.json()["error"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(("method", "path", "body", "scopes"), ENDPOINTS)
def test_anonymous_callers_get_401(method, path, body, scopes):
    url = path.format(
        other_link=1, invitation=1, own_application=1, other_application=2, other=2, caller=1, number="261203-001"
    )
    response = getattr(APIClient(), method)(url, {} if callable(body) else body, format="json")
    assert response.status_code == 401
