"""The requests API through HTTP with real tokens: who files, who sees, who moves, and bad input."""

from __future__ import annotations

import pytest

from tests.factories import executor, person, signed_in
from ukbot.core.models import OutboxEvent
from ukbot.users import services as users

pytestmark = pytest.mark.django_db


def _file(client, **body):
    payload = {"category": "plumbing", "description": "Water is leaking from the ceiling", **body}
    return client.post("/api/v1/requests", payload, format="json")


def _move(client, number, **body):
    return client.put(f"/api/v1/requests/{number}/status", body, format="json")


def _apartment() -> int:
    yard = users.yard_create(name="ЖК «Mirobod Avenue» test")
    building = users.building_create(yard_id=yard.pk, address="ул. Шахрисабз, 5")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return users.apartment_create(entrance_id=entrance.pk, number="12").pk


def _executor(trade: str, *, on_shift: bool = True) -> int:
    account = executor(trade)
    if on_shift:
        assert signed_in(account).post("/api/v1/shifts/start", {}, format="json").status_code == 201
    return account


def test_a_resident_files_a_request_and_sees_only_their_own():
    resident, neighbour = signed_in(person("applicant")), signed_in(person("applicant"))

    created = _file(resident, urgency="high")
    assert created.status_code == 201, created.content
    number = created.json()["data"]["number"]
    assert created.json()["data"]["status"] == "new"
    assert OutboxEvent.objects.filter(type="request.created", subject=number).count() == 1
    _file(neighbour)

    assert [r["number"] for r in resident.get("/api/v1/requests").json()["data"]] == [number]
    assert resident.get(f"/api/v1/requests/{number}").status_code == 200
    assert neighbour.get(f"/api/v1/requests/{number}").status_code == 404


def test_co_residents_of_an_apartment_see_its_requests_read_only():
    apartment = _apartment()
    owner, tenant = person("applicant"), person("applicant")
    for account, relation in ((owner, "owner"), (tenant, "tenant")):
        link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation=relation)
        users.apartment_link_approve(link_id=link.pk, reviewer_id=1)
    number = _file(signed_in(owner), apartment_id=apartment).json()["data"]["number"]
    tenant_client = signed_in(tenant)

    assert tenant_client.get(f"/api/v1/requests/{number}").status_code == 200
    cancel = _move(tenant_client, number, status="cancelled")
    assert cancel.status_code == 403  # only the applicant cancels their own


def test_a_manager_files_for_a_caller_assigns_and_the_executor_works_it():
    manager, resident = signed_in(person("manager")), person("applicant")
    plumber = _executor("plumber")

    filed = _file(manager, applicant_id=resident, source="phone")
    assert filed.status_code == 201
    number, version = filed.json()["data"]["number"], filed.json()["data"]["version"]
    assert filed.json()["data"]["applicant_id"] == resident

    assigned = _move(manager, number, status="assigned", executor_id=plumber, version=version)
    assert assigned.status_code == 200, assigned.content
    executor = signed_in(plumber)
    assert [r["number"] for r in executor.get("/api/v1/requests").json()["data"]] == [number]
    started = _move(executor, number, status="in_progress", version=assigned.json()["data"]["version"])
    assert started.json()["data"]["status"] == "in_progress"

    stale = _move(manager, number, status="waiting_materials", version=assigned.json()["data"]["version"])
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "CONFLICT"


def test_a_wrong_move_names_the_allowed_ones():
    resident = signed_in(person("applicant"))
    number = _file(resident).json()["data"]["number"]

    response = _move(resident, number, status="in_progress")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"
    assert [d["message"] for d in response.json()["error"]["details"]] == ["new → cancelled"]


def test_executors_claim_only_requests_of_their_trade():
    number = _file(signed_in(person("applicant"))).json()["data"]["number"]  # plumbing

    electrician = _move(signed_in(_executor("electrician")), number, status="assigned")
    plumber = _move(signed_in(_executor("plumber")), number, status="assigned")

    assert electrician.status_code == 403
    assert plumber.status_code == 200
    assert OutboxEvent.objects.get(type="request.assigned").data["assignment_type"] == "claim"


def test_only_executors_on_shift_claim_from_the_pool():
    number = _file(signed_in(person("applicant"))).json()["data"]["number"]
    off_duty = _move(signed_in(_executor("plumber", on_shift=False)), number, status="assigned")
    assert off_duty.status_code == 403
    assert off_duty.json()["error"]["message"] == "Start your shift to take requests from the pool."


def test_residents_cannot_file_for_somebody_else():
    resident = signed_in(person("applicant"))
    response = _file(resident, applicant_id=person("applicant"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "magic"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "x" * 10_000}, "description"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"colour": "red"}, "colour"),
        ({"urgency": "asap"}, "urgency"),
    ],
)
def test_bad_requests_are_validation_errors_and_file_nothing(body, field):
    resident = signed_in(person("applicant"))
    response = _file(resident, **body)
    assert response.status_code == 400, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert resident.get("/api/v1/requests").json()["meta"]["total"] == 0


def test_internal_comments_never_reach_the_applicant():
    resident_id = person("applicant")
    resident, manager = signed_in(resident_id), signed_in(person("manager"))
    number = _file(resident).json()["data"]["number"]

    public = manager.post(f"/api/v1/requests/{number}/comments", {"text": "We are on it"}, format="json")
    internal = manager.post(
        f"/api/v1/requests/{number}/comments", {"text": "Tenant is difficult", "internal": True}, format="json"
    )
    assert (public.status_code, internal.status_code) == (201, 201)

    seen_by_resident = [c["text"] for c in resident.get(f"/api/v1/requests/{number}/comments").json()["data"]]
    seen_by_manager = [c["text"] for c in manager.get(f"/api/v1/requests/{number}/comments").json()["data"]]
    assert seen_by_resident == ["We are on it"]
    assert seen_by_manager == ["We are on it", "Tenant is difficult"]
    types = sorted(
        OutboxEvent.objects.filter(type="request.comment_added").values_list("data__comment_type", flat=True)
    )
    assert types == ["internal", "public"]


def test_comment_rules_for_residents_and_cancelled_requests():
    resident = signed_in(person("applicant"))
    number = _file(resident).json()["data"]["number"]
    stranger = signed_in(person("applicant"))

    assert (
        resident.post(f"/api/v1/requests/{number}/comments", {"text": "x", "internal": True}, format="json").status_code
        == 400
    )
    assert resident.post(f"/api/v1/requests/{number}/comments", {"text": ""}, format="json").status_code == 400
    assert stranger.post(f"/api/v1/requests/{number}/comments", {"text": "hi"}, format="json").status_code == 404
    assert _move(resident, number, status="cancelled").status_code == 200
    late = resident.post(f"/api/v1/requests/{number}/comments", {"text": "one more thing"}, format="json")
    assert late.status_code == 409
    assert not OutboxEvent.objects.filter(type="request.comment_added").exists()
