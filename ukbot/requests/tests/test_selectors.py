"""Read queries a manager's screens use: executors ranked by load, and material lines waiting for a decision."""

from __future__ import annotations

import pytest

from tests.factories import executor
from ukbot.requests import selectors, services
from ukbot.requests.statuses import Actor, Status

pytestmark = pytest.mark.django_db
APPLICANT, MANAGER = 101, 303


def _assigned(executor_id: int, category: str = "plumbing") -> str:
    request = services.request_create(applicant_id=APPLICANT, category=category, description="Leak")
    services.request_reassign(number=request.number, executor_id=executor_id, actor_id=MANAGER)
    return request.number


def test_executors_by_load_puts_the_least_busy_first_and_counts_only_work_in_hand():
    busy, free, electrician = executor("plumber"), executor("plumber"), executor("electrician")
    _assigned(busy)
    _assigned(busy)
    cancelled = _assigned(free)
    services.request_move(number=cancelled, to_status=Status.CANCELLED, actor_kind=Actor.MANAGER, actor_id=MANAGER)

    ranked = [(ref.account_id, load) for ref, load in selectors.executors_by_load(specialization="plumber")]

    assert ranked == [(free, 0), (busy, 2)]
    assert electrician not in dict(ranked)


def test_materials_waiting_lists_requested_and_approved_lines_of_open_requests():
    plumber = executor("plumber")
    number = _assigned(plumber)
    requested, approved, issued = services.materials_request(
        number=number,
        actor_kind=Actor.EXECUTOR,
        actor_id=plumber,
        items=[{"item": name, "quantity": 1, "unit": "pcs"} for name in ("tap", "washer", "hose")],
    )
    services.material_decide(material_id=approved.pk, to_status="approved", actor_id=MANAGER)
    services.material_decide(material_id=issued.pk, to_status="approved", actor_id=MANAGER)
    services.material_decide(material_id=issued.pk, to_status="issued", actor_id=MANAGER)
    closed = _assigned(plumber)
    services.materials_request(
        number=closed, actor_kind=Actor.EXECUTOR, actor_id=plumber, items=[{"item": "pipe", "quantity": 2, "unit": "m"}]
    )
    services.request_move(number=closed, to_status=Status.CANCELLED, actor_kind=Actor.MANAGER, actor_id=MANAGER)

    assert list(selectors.materials_waiting().values_list("pk", flat=True)) == [requested.pk, approved.pk]
