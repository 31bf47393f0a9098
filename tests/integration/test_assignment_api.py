"""Recommendations and manual assignment through HTTP: the ranking explained, the log, the event, the request moved
through `requests`, and every refusal leaving nothing behind."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import executor, person, signed_in
from ukbot.assignment import services as assignment
from ukbot.assignment.models import Assignment, SettingsChange
from ukbot.core.models import OutboxEvent
from ukbot.requests import services as requests_services
from ukbot.requests.models import Request
from ukbot.shifts import services as shifts
from ukbot.users import services as users

pytestmark = pytest.mark.django_db

BUILDING = (Decimal("41.311100"), Decimal("69.279700"))  # Amir Temur square
NEAR = (Decimal("41.312000"), Decimal("69.281000"))  # a few hundred metres away
FAR = (Decimal("41.360000"), Decimal("69.350000"))  # across the city


def _building() -> int:
    yard = users.yard_create(name=f"ЖК {uuid.uuid4().hex[:6]}")
    return users.building_create(
        yard_id=yard.pk, address="ул. Амира Темура, 1", latitude=BUILDING[0], longitude=BUILDING[1]
    ).pk


def _request(building_id: int | None = None, *, category: str = "plumbing", urgency: str = "medium") -> str:
    applicant = person("applicant")
    return requests_services.request_create(
        applicant_id=applicant,
        category=category,
        urgency=urgency,
        description="Течёт труба",
        source="phone",
        created_by=applicant + 1_000_000,  # a manager took the call: staff may name any building
        building_id=building_id if building_id is not None else _building(),
    ).number


def _on_shift(account_id: int, trade: str = "plumber", at: tuple[Decimal, Decimal] | None = None) -> int:
    lat, lon = at if at is not None else (None, None)
    return shifts.shift_start(executor_id=account_id, specialization=trade, latitude=lat, longitude=lon).pk


def _manager():
    account = person("manager")
    return account, signed_in(account)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()["data"]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.content
    return response.json()["error"]


def _recommend(client, number: str, HTTP_ACCEPT_LANGUAGE: str = "en", **params):
    return client.get(
        "/api/v1/assignments/recommendations",
        {"request": number, **params},
        HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE,
    )


def _assign(client, number: str, executor_id: int, **body):
    return client.post(
        "/api/v1/assignments/manual-assign", {"request": number, "executor_id": executor_id, **body}, format="json"
    )


def _nothing_changed(number: str) -> None:
    request = Request.objects.get(pk=number)
    assert (request.status, request.executor_id) == ("new", None)
    assert not Assignment.objects.filter(request_number=number).exists()
    assert not OutboxEvent.objects.filter(type__in=["assignment.created", "request.assigned"], subject=number).exists()


def test_recommendations_rank_the_nearest_first_and_explain_every_part_and_exclusion():
    number = _request()
    near, far = executor("plumber", level=3), executor("plumber", level=3)
    _on_shift(near, at=NEAR)
    _on_shift(far, at=FAR)
    off = executor("plumber")  # verified, but not on shift
    busy = executor("universal", level=5)
    _on_shift(busy, "universal", at=NEAR)
    assignment.settings_update(actor_id=None, capacity=1)
    other = _request(category="plumbing")
    assignment.assignment_manual(number=other, executor_id=busy, actor_id=1)  # busy now holds 1 of 1
    electrician = executor("electrician")
    _on_shift(electrician, "electrician", at=NEAR)
    _, client = _manager()

    data = _ok(_recommend(client, number))

    assert data["request"]["number"] == number and data["request"]["specialization"] == "plumber"
    assert [c["executor_id"] for c in data["candidates"]] == [near, far]
    best = data["candidates"][0]
    assert best["rank"] == 1 and best["on_shift"] is True and best["origin"] == "shift_start"
    assert best["travel_km"] < 1 < data["candidates"][1]["travel_km"]
    assert best["can_reach"] is True and best["capacity"] == 1 and best["open_load"] == 0
    parts = {p["name"]: p for p in best["parts"]}
    assert set(parts) == {"skill", "travel", "load", "rating", "returns", "shift_time"}
    assert parts["skill"]["raw"] == {"level": 3}
    assert parts["load"]["raw"] == {"open": 0, "capacity": 1}
    assert sum(p["contribution"] for p in best["parts"]) == pytest.approx(best["score"], abs=1e-3)
    excluded = {e["executor_id"]: [r["code"] for r in e["reasons"]] for e in data["excluded"]}
    assert excluded == {off: ["off_shift"], busy: ["at_capacity"]}  # the electrician is not of the trade at all
    assert {r["message"] for e in data["excluded"] for r in e["reasons"]} == {"off shift", "at capacity"}


def test_the_limit_cuts_the_candidates_and_the_texts_speak_the_callers_language():
    number = _request()
    for _ in range(3):
        _on_shift(executor("plumber"))
    off = executor("plumber")
    shifts.shift_end(executor_id=off, shift_id=_on_shift(off))
    _, client = _manager()

    data = _ok(_recommend(client, number, limit=2, HTTP_ACCEPT_LANGUAGE="uz"))

    assert len(data["candidates"]) == 2
    assert [r["message"] for e in data["excluded"] for r in e["reasons"]] == ["smenada emas"]


def test_manual_assign_moves_the_request_logs_the_override_and_publishes_the_event():
    number = _request()
    best, chosen = executor("plumber", level=5), executor("plumber", level=1)
    _on_shift(best, at=NEAR)
    _on_shift(chosen, at=FAR)
    manager, client = _manager()

    data = _ok(_assign(client, number, chosen, reason="Знает этот дом"), 201)

    request = Request.objects.get(pk=number)
    assert (request.status, request.executor_id) == ("assigned", chosen)
    assert data["algorithm"] == "manual" and data["decided_by"] == manager and data["executor_id"] == chosen
    assert data["recommended_executor_id"] == best and data["overrode"] is True and data["rank"] == 2
    assert data["recommended_score"] > data["score"] > 0
    assert {p["name"] for p in data["parts"]} == {"skill", "travel", "load", "rating", "returns", "shift_time"}
    assert data["reason"] == "Знает этот дом"
    events = [e.data for e in OutboxEvent.objects.filter(type="assignment.created", subject=number)]
    assert events == [
        {
            "assignment_id": data["id"],
            "request_number": number,
            "executor_id": chosen,
            "algorithm": "manual",
            "score": data["score"],
            "decided_by": manager,
            "recommended_executor_id": best,
        }
    ]
    moved = OutboxEvent.objects.get(type="request.assigned", subject=number).data
    assert (moved["executor_id"], moved["assignment_type"]) == (chosen, "manual")
    history = request.history.order_by("-at", "-pk").first()
    assert (history.actor_id, history.to_status) == (manager, "assigned")


def test_a_manager_may_send_someone_off_shift_and_the_log_says_so():
    number = _request()
    off = executor("plumber")
    _, client = _manager()

    data = _ok(_assign(client, number, off), 201)

    assert data["rank"] is None and data["exclusions"] == ["off_shift"] and data["score"] is None
    assert data["recommended_executor_id"] is None and data["overrode"] is False


def test_unknown_request_is_404_and_bad_input_is_400():
    _, client = _manager()
    _error(_recommend(client, "991231-999"), 404, "NOT_FOUND")
    _error(_assign(client, "991231-999", executor("plumber")), 404, "NOT_FOUND")
    _error(_recommend(client, "not-a-number"), 400, "VALIDATION_ERROR")
    _error(_recommend(client, _request(), limit=0), 400, "VALIDATION_ERROR")
    _error(client.get("/api/v1/assignments/recommendations"), 400, "VALIDATION_ERROR")
    _error(_assign(client, _request(), 0), 400, "VALIDATION_ERROR")
    _error(_assign(client, _request(), 1, extra=1), 400, "VALIDATION_ERROR")


def test_an_assigned_or_closed_request_is_refused_with_its_own_code_and_nothing_changes():
    _, client = _manager()
    first, second = executor("plumber"), executor("plumber")
    taken = _request()
    _ok(_assign(client, taken, first), 201)
    cancelled = _request()
    requests_services.request_move(number=cancelled, to_status="cancelled", actor_kind="manager", actor_id=1)
    asking = _request()
    requests_services.request_move(
        number=asking, to_status="clarification", actor_kind="manager", actor_id=1, reason="Который подъезд?"
    )

    _error(_recommend(client, taken), 409, "REQUEST_ALREADY_ASSIGNED")
    _error(_assign(client, taken, second), 409, "REQUEST_ALREADY_ASSIGNED")
    _error(_recommend(client, cancelled), 409, "REQUEST_CLOSED")
    _error(_assign(client, cancelled, second), 409, "REQUEST_CLOSED")
    _error(_assign(client, asking, second), 409, "REQUEST_NOT_ASSIGNABLE")

    assert Request.objects.get(pk=taken).executor_id == first
    assert Assignment.objects.filter(request_number=taken).count() == 1
    assert not Assignment.objects.filter(request_number__in=[cancelled, asking]).exists()


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("unverified", 422, "EXECUTOR_NOT_VERIFIED"),
        ("resident", 422, "EXECUTOR_NOT_VERIFIED"),
        ("nobody", 422, "EXECUTOR_NOT_VERIFIED"),
        ("electrician", 422, "EXECUTOR_LACKS_SPECIALIZATION"),
        ("full", 409, "EXECUTOR_AT_CAPACITY"),
    ],
)
def test_an_executor_the_rules_refuse_is_refused_and_nothing_changes(who, status, code):
    number = _request()
    _, client = _manager()
    if who == "unverified":
        target = person("executor")
        users.specialization_set(account_id=target, key="plumber", level=3)
    elif who == "resident":
        target = person("applicant")
    elif who == "nobody":
        target = 10**12
    elif who == "electrician":
        target = executor("electrician")
    else:
        target = executor("plumber")
        assignment.settings_update(actor_id=None, capacity=1)
        _ok(_assign(client, _request(), target), 201)

    _error(_assign(client, number, target), status, code)

    _nothing_changed(number)


def test_the_log_lists_filters_and_pages():
    _, client = _manager()
    first, second = executor("plumber"), executor("plumber")
    numbers = [_request() for _ in range(3)]
    _ok(_assign(client, numbers[0], first), 201)
    _ok(_assign(client, numbers[1], second), 201)
    _ok(_assign(client, numbers[2], first), 201)

    everything = client.get("/api/v1/assignments", {"per_page": 2})
    assert everything.status_code == 200
    body = everything.json()
    assert body["meta"]["total"] == 3 and len(body["data"]) == 2
    assert [row["request_number"] for row in body["data"]] == [numbers[2], numbers[1]]
    mine = _ok(client.get("/api/v1/assignments", {"executor": first}))
    assert sorted(row["request_number"] for row in mine) == sorted([numbers[0], numbers[2]])
    assert [r["request_number"] for r in _ok(client.get("/api/v1/assignments", {"request": numbers[1]}))] == [
        numbers[1]
    ]
    assert _ok(client.get("/api/v1/assignments", {"algorithm": "auto"})) == []
    _error(client.get("/api/v1/assignments", {"algorithm": "magic"}), 400, "VALIDATION_ERROR")
    _error(client.get("/api/v1/assignments", {"executor": "x"}), 400, "VALIDATION_ERROR")


def test_settings_refuse_bad_values_and_keep_a_history_of_changes():
    from ukbot.core.errors import ValidationFailedError

    for values in (
        {"weight_skill": -1},
        dict.fromkeys(assignment.WEIGHT_FIELDS, 0),
        {"capacity": 0},
        {"road_factor": Decimal("0.9")},
        {"speed_kmh": 0},
    ):
        with pytest.raises(ValidationFailedError):
            assignment.settings_update(actor_id=7, **values)
    assert not SettingsChange.objects.exists()

    assignment.settings_update(actor_id=7, capacity=5, weight_travel=Decimal("3"))
    assignment.settings_update(actor_id=8, capacity=5)  # no change: no history

    change = SettingsChange.objects.get()
    assert change.changed_by == 7
    assert change.changes == {"capacity": ["8", "5"], "weight_travel": ["2.00", "3.00"]}
    assert timezone.now() - change.changed_at < timedelta(minutes=1)


def test_the_requests_assign_action_gives_a_new_request_out_through_dispatch_in_its_own_codes():
    manager, client = _manager()
    number = _request()
    plumber, electrician = executor("plumber"), executor("electrician")
    assignment.settings_update(actor_id=None, capacity=1)

    def assign(executor_id: int):
        return client.post(f"/api/v1/requests/{number}/assign", {"executor_id": executor_id}, format="json")

    _error(assign(electrician), 400, "VALIDATION_ERROR")  # as this endpoint always answered
    _error(assign(person("applicant")), 400, "VALIDATION_ERROR")
    _nothing_changed(number)
    assert _ok(assign(plumber))["executor_id"] == plumber
    row = Assignment.objects.get(request_number=number)
    assert (row.algorithm, row.decided_by, row.executor_id) == ("manual", manager, plumber)

    second = _request()
    refused = client.post(f"/api/v1/requests/{second}/assign", {"executor_id": plumber}, format="json")
    _error(refused, 409, "EXECUTOR_AT_CAPACITY")
    _nothing_changed(second)


def test_an_executor_at_capacity_cannot_claim_from_the_pool():
    assignment.settings_update(actor_id=None, capacity=1)
    plumber = executor("plumber")
    _on_shift(plumber)
    client = signed_in(plumber)
    first, second = _request(), _request()
    assert client.post(f"/api/v1/requests/{first}/claim", {}, format="json").status_code == 200

    _error(client.post(f"/api/v1/requests/{second}/claim", {}, format="json"), 409, "EXECUTOR_AT_CAPACITY")

    _nothing_changed(second)
