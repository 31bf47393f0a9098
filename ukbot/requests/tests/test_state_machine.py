"""The state machine, move by move: every (from, to, actor) against the table written out from DESIGN §4."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.utils import translation

from tests.factories import executor, on_shift
from ukbot.core.errors import (
    ConflictError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationFailedError,
)
from ukbot.core.models import OutboxEvent
from ukbot.requests import services
from ukbot.requests.models import Attachment, Request
from ukbot.requests.statuses import Actor, Status

pytestmark = pytest.mark.django_db
APPLICANT, EXECUTOR, MANAGER, OTHER = 101, 202, 303, 404
OPEN = ["new", "assigned", "in_progress", "waiting_materials", "clarification", "completed", "confirmed", "returned"]

# Written out by hand from DESIGN §4 (not derived from the code under test).
EXPECTED = {
    ("new", "assigned"): {"manager", "system", "executor"},
    ("assigned", "in_progress"): {"executor"},
    ("in_progress", "waiting_materials"): {"executor", "manager"},
    ("waiting_materials", "in_progress"): {"executor", "manager"},
    ("in_progress", "completed"): {"executor"},
    ("completed", "confirmed"): {"manager", "system"},
    ("completed", "in_progress"): {"manager"},
    ("confirmed", "accepted"): {"applicant", "system", "manager"},
    ("confirmed", "returned"): {"applicant"},
    ("returned", "in_progress"): {"executor", "manager"},
    ("completed", "accepted"): {"manager"},
    ("returned", "accepted"): {"manager"},
    # back from clarification to where it was (the set-up below puts it there from in_progress)
    ("clarification", "in_progress"): {"applicant", "manager"},
}
for _status in OPEN:
    if _status != "clarification":
        EXPECTED[(_status, "clarification")] = {"manager"}
    EXPECTED[(_status, "cancelled")] = {"manager", "applicant"} if _status in ("new", "assigned") else {"manager"}

ACTOR_IDS = {"applicant": APPLICANT, "executor": EXECUTOR, "manager": MANAGER, "system": None}
AFTER_STATUSES = {"in_progress", "completed", "confirmed", "returned", "accepted"}


@pytest.fixture(autouse=True)
def _executor():
    """A real executor of the trades these tests use (assignment checks the role and the trade), on shift in the
    trade of the requests made here (claims from the pool are for executors on shift)."""
    global EXECUTOR
    EXECUTOR = ACTOR_IDS["executor"] = executor("elevator", "plumber")
    on_shift(EXECUTOR, "elevator")
    return EXECUTOR


def _request_in(status: str) -> Request:
    request = services.request_create(applicant_id=APPLICANT, category="elevator", description="Lift is stuck")
    Request.objects.filter(pk=request.pk).update(
        status=status,
        executor_id=None if status == "new" else EXECUTOR,
        status_before_clarification="in_progress" if status == "clarification" else "",
    )
    if status in AFTER_STATUSES:  # the work was photographed, as completing requires
        Attachment.objects.create(request=request, media_id=uuid.uuid4(), kind="after", added_by=EXECUTOR)
    return Request.objects.get(pk=request.pk)


def test_every_move_by_every_actor_matches_the_design():
    mismatches = []
    for from_status in Status.values:
        for to_status in Status.values:
            for actor in Actor.values:
                with transaction.atomic():
                    request = _request_in(from_status)
                    try:
                        services.request_move(
                            number=request.number,
                            to_status=to_status,
                            actor_kind=actor,
                            actor_id=ACTOR_IDS[actor],
                            reason="because",
                            executor_id=EXECUTOR,
                        )
                        allowed = True
                    except InvalidTransitionError:
                        allowed = False
                    transaction.set_rollback(True)
                if allowed != (actor in EXPECTED.get((from_status, to_status), set())):
                    mismatches.append((from_status, to_status, actor, allowed))
    assert mismatches == []


def test_a_refused_move_names_the_allowed_ones_and_changes_nothing():
    request = _request_in("assigned")
    with pytest.raises(InvalidTransitionError) as error:
        services.request_move(number=request.number, to_status="completed", actor_kind="executor", actor_id=EXECUTOR)
    assert [d.message for d in error.value.details] == ["assigned → in_progress"]
    assert Request.objects.get(pk=request.pk).status == "assigned"
    assert not OutboxEvent.objects.filter(type="request.status_changed").exists()


def test_a_full_life_writes_history_timestamps_and_events():
    request = services.request_create(applicant_id=APPLICANT, category="plumbing", description="Leak")
    Attachment.objects.create(request=request, media_id=uuid.uuid4(), kind="after", added_by=EXECUTOR)
    moves = [
        ("assigned", "manager", MANAGER, ""),
        ("in_progress", "executor", EXECUTOR, ""),
        ("waiting_materials", "executor", EXECUTOR, ""),
        ("in_progress", "executor", EXECUTOR, ""),
        ("completed", "executor", EXECUTOR, ""),
        ("confirmed", "manager", MANAGER, ""),
        ("accepted", "applicant", APPLICANT, ""),
    ]
    for to_status, actor, actor_id, reason in moves:
        services.request_move(
            number=request.number,
            to_status=to_status,
            actor_kind=actor,
            actor_id=actor_id,
            reason=reason,
            executor_id=EXECUTOR,
        )
    request.refresh_from_db()
    assert request.status == "accepted" and request.executor_id == EXECUTOR
    assert all([request.assigned_at, request.started_at, request.completed_at, request.confirmed_at, request.closed_at])
    assert [h.to_status for h in request.history.all()] == ["new", *[m[0] for m in moves]]
    assert OutboxEvent.objects.filter(type="request.status_changed").count() == 7
    assigned = OutboxEvent.objects.get(type="request.assigned")
    assert (assigned.data["executor_id"], assigned.data["assignment_type"]) == (EXECUTOR, "manual")
    assert OutboxEvent.objects.get(type="request.completed").data["executor_id"] == EXECUTOR
    assert list(
        OutboxEvent.objects.filter(subject=request.number).values_list("sequence", flat=True).order_by("sequence")
    ) == list(range(1, 11))


def test_clarification_returns_to_where_the_request_was():
    request = _request_in("waiting_materials")
    services.request_move(
        number=request.number,
        to_status="clarification",
        actor_kind="manager",
        actor_id=MANAGER,
        reason="Which entrance?",
    )
    services.request_move(
        number=request.number,
        to_status="waiting_materials",
        actor_kind="applicant",
        actor_id=APPLICANT,
        reason="Entrance 2",
    )
    assert Request.objects.get(pk=request.pk).status == "waiting_materials"


def test_an_executor_claims_a_new_request_from_the_pool():
    request = _request_in("new")
    claimant = executor("universal")
    on_shift(claimant, "universal")
    services.request_move(number=request.number, to_status="assigned", actor_kind="executor", actor_id=claimant)
    assert Request.objects.get(pk=request.pk).executor_id == claimant
    assert OutboxEvent.objects.get(type="request.assigned").data["assignment_type"] == "claim"


@pytest.mark.parametrize(
    ("trades", "shift", "message"),
    [
        (("elevator",), None, "Start your shift to take requests from the pool."),
        (("elevator", "plumber"), "plumber", "Start your shift to take requests from the pool."),
        (("plumber",), "plumber", "This request needs another specialization."),
    ],
    ids=["off-shift", "on-shift-in-another-trade", "without-the-trade"],
)
def test_the_service_refuses_a_claim_off_shift_or_out_of_trade(trades, shift, message):
    # given a new elevator request and an executor who may not take it from the pool now
    request = _request_in("new")
    claimant = executor(*trades)
    if shift:
        on_shift(claimant, shift)
    # when they claim it through the service (as any adapter would)
    with pytest.raises(PermissionDeniedError) as refused:
        services.request_move(number=request.number, to_status="assigned", actor_kind="executor", actor_id=claimant)
    # then nothing changes and nothing is published
    with translation.override("en"):
        assert str(refused.value.message) == message
    assert Request.objects.get(pk=request.pk).executor_id is None
    assert not OutboxEvent.objects.filter(type__in=["request.assigned", "request.status_changed"]).exists()


@pytest.mark.parametrize(
    ("status", "to_status", "actor", "actor_id"),
    [
        ("assigned", "in_progress", "executor", OTHER),  # not the assigned executor
        ("new", "cancelled", "applicant", OTHER),  # not the applicant
        ("confirmed", "returned", "applicant", OTHER),
    ],
)
def test_moves_by_somebody_elses_hands_are_refused(status, to_status, actor, actor_id):
    request = _request_in(status)
    with pytest.raises(PermissionDeniedError):
        services.request_move(
            number=request.number, to_status=to_status, actor_kind=actor, actor_id=actor_id, reason="x"
        )
    assert Request.objects.get(pk=request.pk).status == status


@pytest.mark.parametrize(
    ("status", "to_status", "actor", "actor_id"),
    [
        ("confirmed", "returned", "applicant", APPLICANT),
        ("completed", "in_progress", "manager", MANAGER),
        ("completed", "accepted", "manager", MANAGER),
        ("new", "clarification", "manager", MANAGER),
    ],
)
def test_moves_that_need_a_reason_refuse_without_one(status, to_status, actor, actor_id):
    request = _request_in(status)
    with pytest.raises(ValidationFailedError):
        services.request_move(number=request.number, to_status=to_status, actor_kind=actor, actor_id=actor_id)
    assert Request.objects.get(pk=request.pk).status == status


def test_a_stale_update_is_a_conflict():
    request = _request_in("assigned")
    services.request_move(
        number=request.number,
        to_status="in_progress",
        actor_kind="executor",
        actor_id=EXECUTOR,
        expected_version=request.version,
    )
    with pytest.raises(ConflictError):
        services.request_move(
            number=request.number,
            to_status="waiting_materials",
            actor_kind="manager",
            actor_id=MANAGER,
            expected_version=request.version,  # the version read before the executor's move
        )


def test_a_manager_assigning_must_name_theexecutor():
    request = _request_in("new")
    with pytest.raises(ValidationFailedError):
        services.request_move(number=request.number, to_status="assigned", actor_kind="manager", actor_id=MANAGER)
