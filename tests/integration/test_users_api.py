"""The users API through HTTP with real tokens: the permission matrix (endpoint × role × own/other) and bad input."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import ROLES, person, signed_in
from ukbot.core.models import OutboxEvent
from ukbot.users import roles
from ukbot.users import services as users
from ukbot.users.services import verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def building_id() -> int:
    yard = users.yard_create(name=f"Yard {uuid.uuid4().hex[:6]}")
    building = users.building_create(
        yard_id=yard.pk, address="ул. Шахрисабз, 5", latitude=Decimal("41.2995"), longitude=Decimal("69.2765")
    )
    entrance = users.entrance_create(building_id=building.pk, number=1)
    users.apartment_create(entrance_id=entrance.pk, number="1", floor=1)
    return building.pk


def _can(role: str, *scopes: str) -> bool:
    return all(scope in roles.ROLE_SCOPES[role] for scope in scopes)


# (method, path, body, scopes needed; "self" paths are the caller's own resource)
ENDPOINTS = [
    ("get", "/api/v1/users/me", None, ()),
    ("patch", "/api/v1/users/me", {"bio": "hi"}, ()),
    ("get", "/api/v1/users", None, (roles.READ_USERS,)),
    ("post", "/api/v1/users", {"username": "new-{n}", "first_name": "Ali"}, (roles.WRITE_USERS,)),
    ("post", "/api/v1/users", {"username": "staff-{n}", "role": "executor"}, (roles.WRITE_USERS, roles.ADMIN_USERS)),
    ("get", "/api/v1/users/{own}", None, ()),
    ("patch", "/api/v1/users/{own}", {"bio": "own"}, ()),
    ("put", "/api/v1/users/{own}", {"first_name": "Own", "last_name": "Name", "phone": "", "language": "uz"}, ()),
    ("get", "/api/v1/users/{other}", None, (roles.READ_USERS,)),
    ("patch", "/api/v1/users/{other}", {"bio": "theirs"}, (roles.WRITE_USERS,)),
    (
        "put",
        "/api/v1/users/{other}",
        {"first_name": "Their", "last_name": "Name", "phone": "", "language": "ru"},
        (roles.WRITE_USERS,),
    ),
    ("get", "/api/v1/buildings", None, (roles.READ_PLACES,)),
    ("get", "/api/v1/buildings/{building}", None, (roles.READ_PLACES,)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "scopes"), ENDPOINTS)
def test_permission_matrix(role, method, path, body, scopes, building_id):
    caller = person(role)
    other = person("applicant")
    url = path.format(own=caller, other=other, building=building_id)
    payload = {k: v.format(n=uuid.uuid4().hex[:8]) if isinstance(v, str) else v for k, v in (body or {}).items()}

    response = getattr(signed_in(caller), method)(url, payload or None, format="json")

    allowed = _can(role, *scopes)
    expected = ({"post": 201}.get(method, 200)) if allowed else 403
    assert response.status_code == expected, (role, method, url, response.content)
    if not allowed:
        assert response.json()["error"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(("method", "path", "body", "scopes"), ENDPOINTS)
def test_anonymous_callers_get_401_everywhere(method, path, body, scopes):
    url = path.format(own=1, other=2, building=1)
    response = getattr(APIClient(), method)(url, body, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_the_matrix_says_what_the_product_needs():
    # fixed expectations, independent of the matrix the test above reads
    assert _can("manager", roles.READ_USERS, roles.WRITE_USERS) and not _can("manager", roles.ADMIN_USERS)
    assert _can("admin", roles.ADMIN_USERS)
    assert not _can("applicant", roles.READ_USERS) and not _can("executor", roles.READ_USERS)
    assert all(_can(role, roles.READ_PLACES) for role in ROLES)


def test_a_manager_registers_a_resident_found_by_phone():
    manager = signed_in(person("manager"))

    response = manager.post(
        "/api/v1/users",
        {"username": "resident-by-phone", "first_name": "Malika", "phone": "+998 90 123 45 67", "language": "uz"},
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["first_name"], data["phone"], data["language"], data["roles"]) == (
        "Malika",
        "+998901234567",
        "uz",
        ["applicant"],
    )
    assert OutboxEvent.objects.filter(type="user.created", subject=str(data["id"])).count() == 1


def test_lists_filter_and_search():
    admin = signed_in(person("admin"))
    executor = person("executor", first_name="Farrux", phone="+998901110000")
    users.specialization_set(account_id=executor, key="plumber", level=4)
    person("applicant", first_name="Farida")

    by_role = admin.get("/api/v1/users", {"role": "executor", "specialization": "plumber"}).json()
    by_search = admin.get("/api/v1/users", {"search": "Farrux"}).json()

    assert [u["id"] for u in by_role["data"]] == [executor]
    assert by_role["data"][0]["specializations"] == {"plumber": 4}
    assert [u["id"] for u in by_search["data"]] == [executor]
    assert by_search["meta"]["total"] == 1


def test_switching_the_active_role():
    caller = person("executor")
    users.role_grant(account_id=caller, role="applicant", granted_by=None)
    client = signed_in(caller)

    assert client.post("/api/v1/users/me/role", {"role": "applicant"}, format="json").json()["data"]["active_role"] == (
        "applicant"
    )
    refused = client.post("/api/v1/users/me/role", {"role": "admin"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"nickname": "x"}, 400, "VALIDATION_ERROR", "nickname"),
        ({"first_name": "a\x00b"}, 400, "VALIDATION_ERROR", "first_name"),
        ({"first_name": "x" * 151}, 400, "VALIDATION_ERROR", "first_name"),
        ({"language": "de"}, 400, "VALIDATION_ERROR", "language"),
        ({"phone": "call me"}, 400, "VALIDATION_ERROR", "phone"),
        ({"avatar_media_id": "not-a-uuid"}, 400, "VALIDATION_ERROR", "avatar_media_id"),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_changes(body, status, code, field):
    caller = person("applicant", first_name="Before")
    client = signed_in(caller)

    response = client.patch("/api/v1/users/me", body, format="json")

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert client.get("/api/v1/users/me").json()["data"]["first_name"] == "Before"
    assert not OutboxEvent.objects.filter(type="user.profile_updated").exists()


def test_a_phone_that_belongs_to_somebody_else_is_refused_without_saying_so():
    person("applicant", phone="+998901234567")
    client = signed_in(person("applicant"))

    response = client.patch("/api/v1/users/me", {"phone": "+998901234567"}, format="json")

    # decision 0022: not a CONFLICT naming another person, a phone that cannot be used
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "another person" not in response.content.decode()


def test_a_taken_username_is_a_conflict_and_creates_nothing():
    admin = signed_in(person("admin"))
    first = admin.post("/api/v1/users", {"username": "twice"}, format="json")
    count = get_user_model().objects.count()

    again = admin.post("/api/v1/users", {"username": "TWICE"}, format="json")

    assert first.status_code == 201
    assert again.status_code == 409
    assert get_user_model().objects.count() == count


def test_building_detail_lists_entrances_and_apartments(building_id):
    client = signed_in(person("applicant"))
    data = client.get(f"/api/v1/buildings/{building_id}").json()["data"]
    assert data["address"] == "ул. Шахрисабз, 5"
    assert data["latitude"] == "41.299500"
    assert data["entrances"] == [
        {
            "id": data["entrances"][0]["id"],
            "number": 1,
            "apartments": [{"id": data["entrances"][0]["apartments"][0]["id"], "number": "1", "floor": 1}],
        }
    ]
    assert client.get("/api/v1/buildings/999999").status_code == 404


def test_lists_filter_by_verification_state_and_building(building_id):
    admin = signed_in(person("admin"))
    waiting = person("applicant")
    verification.verification_apply(account_id=waiting, specialization="plumber", documents=[])
    resident = person("applicant")
    apartment_id = admin.get(f"/api/v1/buildings/{building_id}").json()["data"]["entrances"][0]["apartments"][0]["id"]
    link = users.apartment_link_request(account_id=resident, apartment_id=apartment_id, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=1)

    by_verification = admin.get("/api/v1/users", {"verification": "pending"}).json()["data"]
    by_building = admin.get("/api/v1/users", {"building": building_id}).json()["data"]
    bad = admin.get("/api/v1/users", {"verification": "maybe"})

    assert [u["id"] for u in by_verification] == [waiting]
    assert [u["id"] for u in by_building] == [resident]
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "verification"


def test_put_replaces_the_profile_and_requires_the_core_fields():
    caller = person("applicant", first_name="Old", phone="+998901230000")
    client = signed_in(caller)
    client.patch("/api/v1/users/me", {"bio": "about me"}, format="json")

    partial = client.put(f"/api/v1/users/{caller}", {"first_name": "New"}, format="json")
    assert partial.status_code == 400
    assert {d["field"] for d in partial.json()["error"]["details"]} == {"last_name", "phone", "language"}

    replaced = client.put(
        f"/api/v1/users/{caller}", {"first_name": "New", "last_name": "", "phone": "", "language": "en"}, format="json"
    ).json()["data"]
    assert (replaced["first_name"], replaced["phone"], replaced["language"], replaced["bio"]) == ("New", "", "en", "")
