"""Starting and ending shifts through HTTP (the first piece of `shifts`): events and who is on shift."""

from __future__ import annotations

import pytest

from tests.factories import person, signed_in
from ukbot.core.models import OutboxEvent
from ukbot.shifts import public as shifts_public
from ukbot.shifts.models import Shift
from ukbot.users import services as users

pytestmark = pytest.mark.django_db


def _executor(*trades: str) -> int:
    account = person("executor")
    for trade in trades:
        users.specialization_set(account_id=account, key=trade, level=2)
    return account


def test_an_executor_starts_now_and_ends_with_events_and_on_shift_answers():
    executor = _executor("plumber")
    client = signed_in(executor)

    started = client.post("/api/v1/shifts/start", {"latitude": "41.2995", "longitude": "69.2765"}, format="json")
    assert started.status_code == 201, started.content
    shift_id = started.json()["data"]["id"]
    assert started.json()["data"]["specialization"] == "plumber"
    assert shifts_public.on_shift(specialization="plumber") == (executor,)
    assert shifts_public.is_on_shift(executor_id=executor, specialization="plumber")
    event = OutboxEvent.objects.get(type="shift.started")
    assert event.data["location"] == {"latitude": "41.299500", "longitude": "69.276500"}

    again = client.post("/api/v1/shifts/start", {}, format="json")
    assert again.status_code == 409  # one shift at a time

    ended = client.put(f"/api/v1/shifts/{shift_id}/end", {}, format="json")
    assert ended.json()["data"]["status"] == "completed"
    assert shifts_public.on_shift(specialization="plumber") == ()
    assert OutboxEvent.objects.get(type="shift.completed").data["duration_seconds"] >= 0
    assert client.put(f"/api/v1/shifts/{shift_id}/end", {}, format="json").status_code == 409


def test_a_planned_shift_is_started_by_its_executor_only():
    executor, other = _executor("electrician"), _executor("electrician")
    shift = Shift.objects.create(executor_id=executor, specialization="electrician")

    assert signed_in(other).put(f"/api/v1/shifts/{shift.pk}/start", {}, format="json").status_code == 404
    assert signed_in(executor).put(f"/api/v1/shifts/{shift.pk}/start", {}, format="json").status_code == 200
    assert shifts_public.is_on_shift(executor_id=executor, specialization="electrician")


def test_a_universal_executor_is_on_shift_for_every_trade():
    executor = _executor("universal")
    signed_in(executor).post("/api/v1/shifts/start", {}, format="json")
    assert shifts_public.is_on_shift(executor_id=executor, specialization="elevator")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"specialization": "astronaut"}, "specialization"),
        ({}, "specialization"),  # several trades and none named
        ({"specialization": "plumber", "latitude": "41.3"}, "location"),
        ({"specialization": "plumber", "latitude": "141.3", "longitude": "69.2"}, "location"),
        ({"specialization": "plumber", "mood": "great"}, "mood"),
    ],
)
def test_bad_starts_are_refused_and_start_nothing(body, field):
    client = signed_in(_executor("plumber", "heating"))
    response = client.post("/api/v1/shifts/start", body, format="json")
    assert response.status_code == 400, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert not Shift.objects.exists()


def test_residents_cannot_start_shifts():
    response = signed_in(person("applicant")).post("/api/v1/shifts/start", {}, format="json")
    assert response.status_code == 403
