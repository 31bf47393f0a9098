"""The whole life of a request through HTTP: pool, claim, materials, completion with photos, checks, acceptance,
returns, clarification, edits, duplicates and the filters a dispatcher uses; with the bad inputs of each step."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import executor, media_file, person, signed_in
from ukbot.core.models import OutboxEvent
from ukbot.requests.models import Request, Settings
from ukbot.users import services as users

pytestmark = pytest.mark.django_db


def _apartment(number: str = "12") -> int:
    yard = users.yard_create(name=f"ЖК test {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="ул. Шахрисабз, 5")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return users.apartment_create(entrance_id=entrance.pk, number=number).pk


def _resident(apartment: int | None = None) -> tuple[int, object]:
    account = person("applicant")
    if apartment is not None:
        link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation="owner")
        users.apartment_link_approve(link_id=link.pk, reviewer_id=1)
    return account, signed_in(account)


def _executor(trade: str = "plumber", *, on_shift: bool = True) -> tuple[int, object]:
    account = executor(trade)
    client = signed_in(account)
    if on_shift:
        assert client.post("/api/v1/shifts/start", {}, format="json").status_code == 201
    return account, client


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()["data"]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.content
    return response.json()["error"]


def _post(client, number, action, **body):
    return client.post(f"/api/v1/requests/{number}/{action}", body, format="json")


def _events(kind: str, number: str) -> list[dict]:
    return [e.data for e in OutboxEvent.objects.filter(type=kind, subject=number).order_by("sequence")]


def test_the_whole_life_through_the_api():
    apartment = _apartment()
    resident_id, resident = _resident(apartment)
    plumber_id, plumber = _executor("plumber")
    manager = signed_in(person("manager"))

    created = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)
    number = created["number"]
    # the resident's primary apartment is the address when none is named; the deadlines come from the SLA policy
    assert created["apartment_id"] == apartment and "кв. 12" in created["address"]
    assert created["reaction_deadline"] and created["resolution_deadline"] and created["overdue"] is False

    # the pool of the on-shift plumber shows it; the plumber claims it
    assert [r["number"] for r in _ok(plumber.get("/api/v1/requests/pool"))] == [number]
    claimed = _ok(_post(plumber, number, "claim", version=created["version"]))
    assert claimed["status"] == "assigned" and claimed["executor_id"] == plumber_id
    assert claimed["allowed_moves"] == ["in_progress"]
    assert _ok(plumber.get("/api/v1/requests/pool")) == []

    _ok(plumber.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json"))
    # materials: asked for with waiting, approved and issued by the manager, then back to work
    lines = _ok(
        _post(plumber, number, "materials", items=[{"item": "Tap washer", "quantity": "2", "unit": "pcs"}], wait=True),
        201,
    )
    assert _ok(resident.get(f"/api/v1/requests/{number}"))["status"] == "waiting_materials"
    assert _events("request.materials_requested", number)[0]["materials_list"][0]["item"] == "Tap washer"
    material = lines[0]["id"]
    for status in ("approved", "issued"):
        decided = manager.put(f"/api/v1/requests/{number}/materials/{material}", {"status": status}, format="json")
        assert _ok(decided)["status"] == status
    _error(
        manager.put(f"/api/v1/requests/{number}/materials/{material}", {"status": "rejected"}, format="json"),
        409,
        "INVALID_TRANSITION",
    )  # issued is final
    _ok(plumber.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json"))

    # completing needs a photo of the finished work
    _error(_post(plumber, number, "complete", comment="Done"), 400, "VALIDATION_ERROR")
    photo = media_file(plumber_id)
    done = _ok(_post(plumber, number, "complete", photos=[photo], comment="Replaced the washer"))
    assert done["status"] == "completed" and done["completed_at"]
    assert _events("request.completed", number)[0]["executor_id"] == plumber_id
    attachments = _ok(resident.get(f"/api/v1/requests/{number}/attachments"))
    assert [(a["media_id"], a["kind"]) for a in attachments] == [(photo, "after")]

    # the manager confirms; the resident accepts with a rating
    _ok(_post(manager, number, "confirm"))
    _error(_post(resident, number, "accept", rating=6), 400, "VALIDATION_ERROR")
    _error(_post(resident, number, "accept"), 400, "VALIDATION_ERROR")  # the applicant rates when accepting
    accepted = _ok(_post(resident, number, "accept", rating=5, feedback="Thank you!"))
    assert (accepted["status"], accepted["rating"], accepted["feedback"]) == ("accepted", 5, "Thank you!")
    assert _events("request.rated", number) == [
        {"number": number, "rating": 5, "executor_id": plumber_id, "applicant_id": resident_id}
    ]
    _error(_post(resident, number, "rate", rating=3), 409, "CONFLICT")  # rated once

    history = _ok(resident.get(f"/api/v1/requests/{number}/history"))
    assert [h["to_status"] for h in history] == [
        "new",
        "assigned",
        "in_progress",
        "waiting_materials",
        "in_progress",
        "completed",
        "confirmed",
        "accepted",
    ]
    assert history[0]["action"] == "created"
    comments = _ok(resident.get(f"/api/v1/requests/{number}/comments"))
    assert [c["text"] for c in comments] == ["Replaced the washer"]


def test_returns_go_back_to_work_and_a_manager_accepts_on_behalf_with_a_reason():
    resident_id, resident = _resident()
    plumber_id, plumber = _executor("plumber")
    manager = signed_in(person("manager"))
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    _ok(_post(manager, number, "assign", executor_id=plumber_id))
    _ok(plumber.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json"))
    _ok(_post(plumber, number, "complete", photos=[media_file(plumber_id)]))

    # the manager sends it back with a reason
    _error(_post(manager, number, "return", reason=""), 400, "VALIDATION_ERROR")
    assert _ok(_post(manager, number, "return", reason="The floor is still wet"))["status"] == "in_progress"
    _ok(_post(plumber, number, "complete"))  # the earlier photo still counts
    _ok(_post(manager, number, "confirm"))

    # the resident returns the work with a reason and a photo
    returned = _ok(_post(resident, number, "return", reason="Drips at night", photos=[media_file(resident_id)]))
    assert returned["status"] == "returned"
    kinds = [a["kind"] for a in _ok(manager.get(f"/api/v1/requests/{number}/attachments"))]
    assert kinds.count("return") == 1

    # a manager accepts on the resident's behalf only with a reason, and without a rating
    _error(_post(manager, number, "accept"), 400, "VALIDATION_ERROR")
    _error(_post(manager, number, "accept", reason="Checked by phone", rating=5), 400, "VALIDATION_ERROR")
    accepted = _ok(_post(manager, number, "accept", reason="Resident confirmed by phone"))
    assert accepted["status"] == "accepted" and accepted["rating"] is None
    # the resident may still rate it, once
    assert _ok(_post(resident, number, "rate", rating=4))["rating"] == 4


def test_without_manager_checks_completed_work_goes_straight_to_the_applicant():
    Settings.objects.update_or_create(id=1, defaults={"manager_check": False})
    _, resident = _resident()
    plumber_id, plumber = _executor("plumber")
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    _ok(_post(signed_in(person("manager")), number, "assign", executor_id=plumber_id))
    _ok(plumber.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json"))
    assert _ok(_post(plumber, number, "complete", photos=[media_file(plumber_id)]))["status"] == "confirmed"
    history = [h["actor_kind"] for h in _ok(resident.get(f"/api/v1/requests/{number}/history"))]
    assert history[-1] == "system"


def test_clarification_question_and_answer():
    _, resident = _resident()
    manager = signed_in(person("manager"))
    number = _ok(resident.post("/api/v1/requests", {"category": "elevator", "description": "Lift"}), 201)["number"]
    _error(_post(manager, number, "clarification", question=""), 400, "VALIDATION_ERROR")
    _error(_post(resident, number, "clarification", question="?"), 403, "PERMISSION_DENIED")
    asked = _ok(_post(manager, number, "clarification", question="Which entrance?"))
    assert asked["status"] == "clarification"
    assert _events("request.status_changed", number)[-1]["reason"] == "Which entrance?"
    answered = _ok(_post(resident, number, "clarification/answer", answer="Entrance 2"))
    assert answered["status"] == "new"
    assert [c["text"] for c in _ok(resident.get(f"/api/v1/requests/{number}/comments"))] == ["Entrance 2"]
    _error(_post(resident, number, "clarification/answer", answer="Again"), 409, "CONFLICT")


def test_edits_by_the_applicant_while_new_and_by_managers_later():
    _, resident = _resident()
    manager = signed_in(person("manager"))
    plumber_id, _plumber = _executor("plumber")
    created = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)
    number = created["number"]

    edited = _ok(resident.patch(f"/api/v1/requests/{number}", {"description": "Leak in the bathroom"}, format="json"))
    assert edited["description"] == "Leak in the bathroom" and edited["version"] == created["version"] + 1
    _error(
        resident.patch(f"/api/v1/requests/{number}", {"urgency": "critical"}, format="json"), 400, "VALIDATION_ERROR"
    )
    _error(resident.patch(f"/api/v1/requests/{number}", {"description": ""}, format="json"), 400, "VALIDATION_ERROR")
    # a stale version is refused and changes nothing
    stale = resident.patch(f"/api/v1/requests/{number}", {"description": "x", "version": 1}, format="json")
    _error(stale, 409, "CONFLICT")

    _ok(_post(manager, number, "assign", executor_id=plumber_id))
    _error(resident.patch(f"/api/v1/requests/{number}", {"description": "y"}, format="json"), 403, "PERMISSION_DENIED")
    before = Request.objects.get(pk=number).resolution_deadline
    urgent = _ok(manager.patch(f"/api/v1/requests/{number}", {"urgency": "critical"}, format="json"))
    assert urgent["urgency"] == "critical"
    assert Request.objects.get(pk=number).resolution_deadline < before
    assert _events("request.updated", number)[-1]["changed_fields"] == ["urgency"]
    assert _ok(resident.get(f"/api/v1/requests/{number}"))["description"] == "Leak in the bathroom"


def test_a_second_report_of_the_same_problem_is_linked_and_warned_about():
    apartment = _apartment()
    _, owner = _resident(apartment)
    _, tenant = _resident(apartment)
    first = _ok(owner.post("/api/v1/requests", {"category": "heating", "description": "Cold radiator"}), 201)
    second = owner.post("/api/v1/requests", {"category": "heating", "description": "Still cold"}, format="json")
    assert second.status_code == 201
    assert second.json()["data"]["duplicate_of"] == first["number"]
    assert second.json()["meta"]["warnings"][0]["code"] == "POSSIBLE_DUPLICATE"
    # another category, or the same one after the window, is not a duplicate
    other = tenant.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}, format="json")
    assert other.json()["data"]["duplicate_of"] is None and "meta" not in other.json()
    Request.objects.filter(pk__in=[first["number"], second.json()["data"]["number"]]).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    later = tenant.post("/api/v1/requests", {"category": "heating", "description": "Cold"}, format="json")
    assert later.json()["data"]["duplicate_of"] is None


def test_residents_file_only_for_their_own_apartments():
    mine, theirs = _apartment("1"), _apartment("2")
    _, resident = _resident(mine)
    response = resident.post(
        "/api/v1/requests", {"category": "plumbing", "description": "Leak", "apartment_id": theirs}, format="json"
    )
    assert _error(response, 400, "VALIDATION_ERROR")["details"][0]["field"] == "apartment_id"
    _error(
        resident.post(
            "/api/v1/requests", {"category": "plumbing", "description": "x", "apartment_id": 999999}, format="json"
        ),
        400,
        "VALIDATION_ERROR",
    )
    _error(
        resident.post(
            "/api/v1/requests", {"category": "plumbing", "description": "x", "source": "phone"}, format="json"
        ),
        403,
        "PERMISSION_DENIED",
    )
    assert not Request.objects.exists()


def test_two_executors_claiming_at_once_one_wins():
    _, resident = _resident()
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    (_, first), (_, second) = _executor("plumber"), _executor("plumber")
    assert _post(first, number, "claim").status_code == 200
    _error(_post(second, number, "claim"), 409, "INVALID_TRANSITION")
    assert OutboxEvent.objects.filter(type="request.assigned", subject=number).count() == 1


def test_assigning_checks_the_executor():
    _, resident = _resident()
    manager = signed_in(person("manager"))
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    electrician_id, _ = _executor("electrician")
    stranger = person("applicant")
    for account in (electrician_id, stranger):
        _error(_post(manager, number, "assign", executor_id=account), 400, "VALIDATION_ERROR")
    plumber_id, _ = _executor("plumber")
    other_id, _ = _executor("universal")
    _error(_post(resident, number, "assign", executor_id=plumber_id), 403, "PERMISSION_DENIED")
    _ok(_post(manager, number, "assign", executor_id=plumber_id))
    reassigned = _ok(_post(manager, number, "assign", executor_id=other_id, reason="Plumber is ill"))
    assert reassigned["executor_id"] == other_id and reassigned["status"] == "assigned"
    last = _events("request.assigned", number)[-1]
    assert (last["previous_executor_id"], last["assignment_type"]) == (plumber_id, "reassign")
    _error(_post(manager, number, "assign", executor_id=other_id), 400, "VALIDATION_ERROR")  # already theirs


def test_materials_bad_input_and_rules():
    _, resident = _resident()
    plumber_id, plumber = _executor("plumber")
    manager = signed_in(person("manager"))
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    line = {"item": "Pipe", "quantity": "1", "unit": "m"}
    _error(_post(plumber, number, "materials", items=[line]), 403, "PERMISSION_DENIED")  # in the pool, not theirs
    _ok(_post(manager, number, "assign", executor_id=plumber_id))
    for bad in ([], [{**line, "quantity": "0"}], [{**line, "item": ""}], [{**line, "unit": "x" * 21}], [line] * 51):
        _error(_post(plumber, number, "materials", items=bad), 400, "VALIDATION_ERROR")
    _error(_post(resident, number, "materials", items=[line]), 403, "PERMISSION_DENIED")
    material = _ok(_post(plumber, number, "materials", items=[line]), 201)[0]["id"]
    _error(
        manager.put(f"/api/v1/requests/{number}/materials/{material}", {"status": "issued"}, format="json"),
        409,
        "INVALID_TRANSITION",
    )
    _error(
        plumber.put(f"/api/v1/requests/{number}/materials/{material}", {"status": "approved"}, format="json"),
        403,
        "PERMISSION_DENIED",
    )
    no_reason = manager.put(f"/api/v1/requests/{number}/materials/{material}", {"status": "rejected"}, format="json")
    _error(no_reason, 400, "VALIDATION_ERROR")
    rejected = manager.put(
        f"/api/v1/requests/{number}/materials/{material}", {"status": "rejected", "reason": "In stock"}, format="json"
    )
    assert _ok(rejected)["status"] == "rejected"
    assert _events("request.materials_decided", number)[0]["status"] == "rejected"
    assert Request.objects.get(pk=number).status == "assigned"  # no wait asked


def test_the_dispatcher_filters():
    apartment = _apartment()
    _, resident = _resident(apartment)
    manager = signed_in(person("manager"))
    plumbing = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "A"}), 201)["number"]
    heating = _ok(
        resident.post("/api/v1/requests", {"category": "heating", "description": "B", "urgency": "critical"}), 201
    )["number"]
    Request.objects.filter(pk=plumbing).update(reaction_deadline=timezone.now() - timedelta(minutes=1))
    yard = Request.objects.get(pk=plumbing).yard_id

    def numbers(query: str) -> list[str]:
        return sorted(r["number"] for r in _ok(manager.get(f"/api/v1/requests?{query}")))

    assert numbers("overdue=true") == [plumbing]
    assert numbers("overdue=false") == [heating]
    assert numbers("urgency=critical") == [heating]
    assert numbers("category=plumbing&category=heating") == sorted([plumbing, heating])
    assert numbers(f"yard={yard}") == sorted([plumbing, heating])
    assert numbers(f"yard={yard + 1000}") == []
    since = (timezone.now() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert numbers(f"created_from={since}") == sorted([plumbing, heating])
    assert numbers(f"search={heating}") == [heating]
    _error(manager.get("/api/v1/requests?status=nonsense"), 400, "VALIDATION_ERROR")


def test_cancel_rules_and_comments_after():
    _, resident = _resident()
    manager = signed_in(person("manager"))
    plumber_id, plumber = _executor("plumber")
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    _ok(_post(manager, number, "assign", executor_id=plumber_id))
    _ok(plumber.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json"))
    _error(_post(resident, number, "cancel", reason="Changed my mind"), 409, "INVALID_TRANSITION")
    assert _ok(_post(manager, number, "cancel", reason="Duplicate"))["status"] == "cancelled"
    _error(resident.post(f"/api/v1/requests/{number}/comments", {"text": "Hi"}, format="json"), 409, "CONFLICT")
    _error(_post(plumber, number, "attachments", media_ids=[str(uuid.uuid4())], kind="after"), 409, "CONFLICT")


def test_only_verified_executors_take_requests():
    _, resident = _resident()
    manager = signed_in(person("manager"))
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    unchecked = person("executor")  # holds the role but nobody approved the profile
    users.specialization_set(account_id=unchecked, key="plumber", level=3)
    blocked = executor("plumber")
    users.profile_block(account_id=blocked)
    for account in (unchecked, blocked):
        _error(_post(manager, number, "assign", executor_id=account), 400, "VALIDATION_ERROR")
    unchecked_client = signed_in(unchecked)
    assert unchecked_client.post("/api/v1/shifts/start", {}, format="json").status_code == 201
    _error(_post(unchecked_client, number, "claim"), 400, "VALIDATION_ERROR")
    assert Request.objects.get(pk=number).executor_id is None


def test_back_from_clarification_keeps_the_executor():
    _, resident = _resident()
    manager = signed_in(person("manager"))
    plumber_id, _ = _executor("plumber")
    number = _ok(resident.post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}), 201)["number"]
    _ok(_post(manager, number, "assign", executor_id=plumber_id))
    _ok(_post(manager, number, "clarification", question="Is the water hot or cold?"))
    back = _ok(_post(resident, number, "clarification/answer", answer="Cold"))
    assert (back["status"], back["executor_id"]) == ("assigned", plumber_id)
    assert len(_events("request.assigned", number)) == 1
