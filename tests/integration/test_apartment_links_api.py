"""Apartment links through HTTP with real tokens: residents ask, managers moderate, the public doors follow; admin."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import ROLES, media_file, person, signed_in
from ukbot.core.models import OutboxEvent
from ukbot.users import public, roles, selectors
from ukbot.users import services as users
from ukbot.users.models import ApartmentLink

pytestmark = pytest.mark.django_db


def _apartment(*, yard: str | None = None, address: str = "ул. Навои, 7", number: str = "12") -> int:
    yard_row = users.yard_create(name=yard or f"Yard {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard_row.pk, address=address)
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return users.apartment_create(entrance_id=entrance.pk, number=number).pk


def _request(client: APIClient, apartment_id: int, relation: str = "owner", **extra):
    body = {"apartment_id": apartment_id, "relation": relation, **extra}
    return client.post("/api/v1/users/me/apartments", body, format="json")


def test_a_resident_asks_a_manager_approves_and_the_public_doors_follow():
    resident, neighbour, manager = person("applicant"), person("applicant"), signed_in(person("manager"))
    flat = _apartment()
    document = media_file(resident)
    stranger_file = media_file(neighbour)
    refused = _request(signed_in(resident), flat, "tenant", document_media_id=stranger_file)
    assert refused.status_code == 400 and refused.json()["error"]["details"][0]["field"] == "document_media_id"

    asked = _request(signed_in(resident), flat, "tenant", document_media_id=document)
    neighbour_link = _request(signed_in(neighbour), flat, "owner").json()["data"]["id"]

    assert asked.status_code == 201, asked.content
    link = asked.json()["data"]
    assert {k: link[k] for k in ("account_id", "apartment_id", "relation", "is_primary", "status")} == {
        "account_id": resident,
        "apartment_id": flat,
        "relation": "tenant",
        "is_primary": True,
        "status": "pending",
    }
    assert (link["document_media_id"], link["apartment_number"], link["entrance_number"]) == (document, "12", 1)
    assert public.apartments_of(account_id=resident) == ()
    assert public.co_residents(apartment_id=flat) == ()

    approved = manager.post(f"/api/v1/apartment-links/{link['id']}/approve", {}, format="json")
    manager.post(f"/api/v1/apartment-links/{neighbour_link}/approve", format="json")

    assert approved.status_code == 200, approved.content
    assert approved.json()["data"]["status"] == "approved"
    assert [(ref.apartment_id, ref.relation, ref.primary) for ref in public.apartments_of(account_id=resident)] == [
        (flat, "tenant", True)
    ]
    assert public.co_residents(apartment_id=flat) == tuple(sorted((resident, neighbour)))
    mine = signed_in(resident).get("/api/v1/users/me/apartments").json()
    assert [(row["id"], row["status"]) for row in mine["data"]] == [(link["id"], "approved")]
    assert OutboxEvent.objects.filter(type="user.profile_updated", subject=str(resident)).count() == 2


def test_rejecting_needs_a_reason_and_the_resident_sees_it():
    resident, manager = person("applicant"), signed_in(person("manager"))
    link = _request(signed_in(resident), _apartment()).json()["data"]["id"]
    url = f"/api/v1/apartment-links/{link}/reject"

    for body in ({}, {"reason": ""}, {"reason": "x" * 2001}, {"reason": "a\x00b"}, {"reason": "ok", "extra": 1}):
        refused = manager.post(url, body, format="json")
        assert refused.status_code == 400, (body, refused.content)
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert ApartmentLink.objects.get(pk=link).status == "pending"

    rejected = manager.post(url, {"reason": "The lease names someone else."}, format="json")
    again = manager.post(url, {"reason": "Twice."}, format="json")
    late_approval = manager.post(f"/api/v1/apartment-links/{link}/approve", format="json")

    assert rejected.status_code == 200
    seen = signed_in(resident).get("/api/v1/users/me/apartments").json()["data"][0]
    assert (seen["status"], seen["reason"], seen["is_primary"]) == ("rejected", "The lease names someone else.", False)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "CONFLICT")
    assert (late_approval.status_code, late_approval.json()["error"]["code"]) == (409, "CONFLICT")


def test_a_duplicate_request_is_a_conflict_and_bad_requests_are_refused():
    client = signed_in(person("applicant"))
    flat = _apartment()
    assert _request(client, flat).status_code == 201

    duplicate = _request(client, flat, "tenant")
    cases = [
        ({"apartment_id": flat, "relation": "landlord"}, 400, "VALIDATION_ERROR", "relation"),
        ({"apartment_id": flat}, 400, "VALIDATION_ERROR", "relation"),
        ({"apartment_id": flat, "relation": "owner", "floor": 3}, 400, "VALIDATION_ERROR", "floor"),
        ({"apartment_id": flat, "relation": "owner", "document_media_id": "x"}, 400, "VALIDATION_ERROR", None),
        ({"apartment_id": 999999, "relation": "owner"}, 404, "NOT_FOUND", None),
    ]

    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "CONFLICT")
    for body, status, code, field in cases:
        response = client.post("/api/v1/users/me/apartments", body, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
        if field:
            assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert ApartmentLink.objects.count() == 1


def test_residents_remove_their_own_links_and_choose_the_primary_one():
    resident, stranger = person("applicant"), signed_in(person("applicant"))
    client = signed_in(resident)
    first = _request(client, _apartment()).json()["data"]["id"]
    second = _request(client, _apartment()).json()["data"]["id"]

    primary = client.post(f"/api/v1/users/me/apartments/{second}/primary", format="json")
    foreign = stranger.delete(f"/api/v1/users/me/apartments/{first}")
    removed = client.delete(f"/api/v1/users/me/apartments/{second}")

    assert primary.status_code == 200 and primary.json()["data"]["is_primary"] is True
    assert foreign.status_code == 404
    assert removed.status_code == 204
    assert [(row["id"], row["is_primary"]) for row in client.get("/api/v1/users/me/apartments").json()["data"]] == [
        (first, True)
    ]


@pytest.mark.parametrize("role", ROLES)
def test_only_holders_of_write_users_moderate(role):
    resident = signed_in(person("applicant"))
    link = _request(resident, _apartment()).json()["data"]["id"]
    caller = signed_in(person(role))
    allowed = write_users = role in ("admin", "manager")
    assert write_users == (roles.WRITE_USERS in roles.ROLE_SCOPES[role])

    listed = caller.get("/api/v1/apartment-links", {"status": "pending"})
    rejected = caller.post(f"/api/v1/apartment-links/{link}/reject", {"reason": "No."}, format="json")

    assert listed.status_code == (200 if allowed else 403)
    assert rejected.status_code == (200 if allowed else 403)
    if not allowed:
        assert rejected.json()["error"]["code"] == "PERMISSION_DENIED"
        approved = caller.post(f"/api/v1/apartment-links/{link}/approve", format="json")
        assert approved.status_code == 403
        assert ApartmentLink.objects.get(pk=link).status == "pending"
    # everyone manages their own links
    assert caller.get("/api/v1/users/me/apartments").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/users/me/apartments"),
        ("post", "/api/v1/users/me/apartments"),
        ("delete", "/api/v1/users/me/apartments/1"),
        ("post", "/api/v1/users/me/apartments/1/primary"),
        ("post", "/api/v1/users/me/apartments/1/document"),
        ("get", "/api/v1/apartment-links"),
        ("post", "/api/v1/apartment-links/1/approve"),
        ("post", "/api/v1/apartment-links/1/reject"),
    ],
)
def test_anonymous_callers_get_401(method, path):
    response = getattr(APIClient(), method)(path, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "NOT_AUTHENTICATED")


def test_the_moderation_queue_filters_by_status_building_and_yard():
    manager = signed_in(person("manager"))
    here, there = _apartment(yard="Olmazor"), _apartment(yard="Chilonzor", address="Bunyodkor, 1")
    here_building = ApartmentLink._meta.get_field("apartment").related_model.objects.get(pk=here).entrance.building
    first = _request(signed_in(person("applicant")), here).json()["data"]["id"]
    second = _request(signed_in(person("applicant")), there).json()["data"]["id"]
    third = _request(signed_in(person("applicant")), here).json()["data"]["id"]
    manager.post(f"/api/v1/apartment-links/{third}/approve", format="json")

    def ids(**params) -> list[int]:
        response = manager.get("/api/v1/apartment-links", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["data"]]

    assert ids() == [first, second, third]
    assert ids(status="pending") == [first, second]
    assert ids(status="pending", building=here_building.pk) == [first]
    assert ids(yard=here_building.yard_id) == [first, third]
    assert ids(status="approved") == [third]
    assert ids(search="Chilonzor") == []  # the yard's name is not searched, the building's address is
    assert ids(search="Bunyodkor") == [second]
    bad = manager.get("/api/v1/apartment-links", {"status": "maybe"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


# --- the admin's moderation queue ------------------------------------------------------------------------------


def test_the_admin_queue_shows_pending_links_by_default_and_approves_through_the_service(admin_client):
    resident, other = person(None), person("applicant")
    pending = users.apartment_link_request(account_id=resident, apartment_id=_apartment(), relation="owner")
    reviewed = users.apartment_link_request(account_id=other, apartment_id=_apartment(), relation="tenant")
    users.apartment_link_reject(link_id=reviewed.pk, reviewer_id=person("manager"), reason="No.")
    url = reverse("admin:users_apartmentlink_changelist")

    queue = admin_client.get(url)
    everything = admin_client.get(url, {"status": "all"})
    page = admin_client.get(reverse("admin:users_apartmentlink_change", args=[pending.pk]))
    approved = admin_client.post(url, {"action": "approve", "_selected_action": [pending.pk]}, follow=True)

    assert queue.status_code == 200
    assert [link.pk for link in queue.context["cl"].result_list] == [pending.pk]
    assert everything.context["cl"].result_count == 2
    assert page.status_code == 200
    assert approved.status_code == 200
    assert ApartmentLink.objects.get(pk=pending.pk).status == "approved"
    assert selectors.profile_roles(account_id=resident) == ["applicant"]
    assert public.co_residents(apartment_id=pending.apartment_id) == (resident,)


def test_the_admin_rejects_after_asking_for_a_reason(admin_client):
    link = users.apartment_link_request(account_id=person("applicant"), apartment_id=_apartment(), relation="owner")
    url = reverse("admin:users_apartmentlink_changelist")
    selected = {"action": "reject", "_selected_action": [link.pk]}

    asked = admin_client.post(url, selected)
    empty = admin_client.post(url, {**selected, "apply": "1", "reason": ""})
    still = ApartmentLink.objects.get(pk=link.pk).status
    done = admin_client.post(url, {**selected, "apply": "1", "reason": "Not on the lease."}, follow=True)

    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert empty.status_code == 200 and still == "pending"
    assert done.status_code == 200
    link.refresh_from_db()
    assert (link.status, link.reason) == ("rejected", "Not on the lease.")


def test_a_persons_export_lists_their_links_and_forgetting_removes_them():
    resident = person("applicant")
    document = media_file(resident)
    flat = _apartment()
    users.apartment_link_request(account_id=resident, apartment_id=flat, relation="owner", document_media_id=document)
    admin = signed_in(person("admin"))

    exported = admin.get(f"/api/v1/users/{resident}/export")
    forgotten = admin.post(f"/api/v1/users/{resident}/forget", format="json")

    assert exported.status_code == 200, exported.content
    links = exported.json()["data"]["users"]["apartment_links"]
    assert [(row["apartment_id"], row["relation"], row["document_media_id"]) for row in links] == [
        (flat, "owner", document)
    ]
    assert forgotten.status_code in (200, 204), forgotten.content
    assert not ApartmentLink.objects.filter(profile_id=resident).exists()


def test_demo_residents_live_in_approved_apartments(settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    call_command("seed_demo", stdout=StringIO())
    residents = [get_user_model().objects.get(username=f"demo-resident-{n}").pk for n in range(1, 5)]

    homes = [public.apartments_of(account_id=resident) for resident in residents]

    assert all(len(home) == 1 and home[0].primary for home in homes)
    assert [home[0].relation for home in homes] == ["owner", "owner", "owner", "family"]
    assert public.co_residents(apartment_id=homes[0][0].apartment_id) == tuple(sorted((residents[0], residents[3])))
    assert not ApartmentLink.objects.filter(status="pending").exists()


def test_a_resident_attaches_a_document_while_the_link_waits():
    owner = person("applicant")
    client = signed_in(owner)
    link = _request(client, _apartment()).json()["data"]["id"]
    document = media_file(owner)

    attached = client.post(
        f"/api/v1/users/me/apartments/{link}/document", {"document_media_id": document}, format="json"
    )
    malformed = client.post(f"/api/v1/users/me/apartments/{link}/document", {"document_media_id": "x"}, format="json")

    assert (attached.status_code, attached.json()["data"]["document_media_id"]) == (200, document)
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
