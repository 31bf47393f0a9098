"""Read queries the screens use: executors ranked by load, material lines waiting for a decision, and what a
card says of whether its reader acts on the request."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import executor, on_shift
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


def test_materials_read_as_entries_of_one_request_and_as_a_waiting_page():
    plumber = executor("plumber")
    number = _assigned(plumber)
    tap, hose = services.materials_request(
        number=number,
        actor_kind=Actor.EXECUTOR,
        actor_id=plumber,
        items=[{"item": "tap", "quantity": "2.000", "unit": "pcs"}, {"item": "hose", "quantity": "1.5", "unit": "m"}],
    )
    services.material_decide(material_id=tap.pk, to_status="rejected", actor_id=MANAGER, reason="In stock")

    entries = selectors.request_materials(number=number)
    waiting = selectors.materials_waiting_page(offset=0, limit=5)

    assert [(e.material_id, e.number, e.item, e.quantity, e.unit, e.status) for e in entries] == [
        (tap.pk, number, "tap", Decimal("2"), "pcs", "rejected"),
        (hose.pk, number, "hose", Decimal("1.5"), "m", "requested"),
    ]
    assert f"{entries[0].quantity:f}" == "2"
    assert (waiting.total, [e.material_id for e in waiting.entries]) == (1, [hose.pk])
    assert selectors.materials_waiting_page(offset=5, limit=5).entries == ()
    assert selectors.request_materials(number="000000-000") == ()


def test_a_card_says_whether_its_reader_acts_on_the_request_and_whether_it_is_closed():
    plumber, other = executor("plumber"), executor("plumber")
    number = services.request_create(applicant_id=APPLICANT, category="plumbing", description="Leak").number
    on_shift(other, "plumber")

    from_pool = selectors.request_card(account_id=other, actor_kind=Actor.EXECUTOR, number=number)
    services.request_reassign(number=number, executor_id=plumber, actor_id=MANAGER)
    assigned = selectors.request_card(account_id=plumber, actor_kind=Actor.EXECUTOR, number=number)
    applicant = selectors.request_card(account_id=APPLICANT, actor_kind=Actor.APPLICANT, number=number)
    services.request_move(number=number, to_status=Status.CANCELLED, actor_kind=Actor.MANAGER, actor_id=MANAGER)
    cancelled = selectors.request_card(account_id=APPLICANT, actor_kind=Actor.APPLICANT, number=number)

    assert (from_pool.party, from_pool.moves, from_pool.closed) == (False, ("assigned",), False)
    assert (assigned.party, assigned.moves) == (True, ("in_progress",))
    assert (applicant.party, applicant.moves, applicant.closed) == (True, ("cancelled",), False)
    assert (cancelled.party, cancelled.moves, cancelled.closed) == (True, (), True)
