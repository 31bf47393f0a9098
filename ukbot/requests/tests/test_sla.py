"""SLA deadlines, the overdue sweep (one ``request.sla_breached`` per breach, ever) and auto-acceptance."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import executor
from ukbot.celery import app
from ukbot.celery_worker import start_worker, stop_worker
from ukbot.core.models import OutboxEvent
from ukbot.core.tests.conftest import subprocess_env
from ukbot.requests import services, sla, tasks
from ukbot.requests.models import Attachment, Request, Settings, SlaPolicy, StatusChange

pytestmark = pytest.mark.django_db
APPLICANT, EXECUTOR, MANAGER = 101, 202, 303
ACTOR_IDS = {"applicant": APPLICANT, "executor": EXECUTOR, "manager": MANAGER}
# (to_status, actor kind) moves that lead a new request to each status the tests need
PATHS = {
    "assigned": [("assigned", "manager")],
    "in_progress": [("assigned", "manager"), ("in_progress", "executor")],
    "completed": [("assigned", "manager"), ("in_progress", "executor"), ("completed", "executor")],
    "confirmed": [
        ("assigned", "manager"),
        ("in_progress", "executor"),
        ("completed", "executor"),
        ("confirmed", "manager"),
    ],
    "accepted": [
        ("assigned", "manager"),
        ("in_progress", "executor"),
        ("completed", "executor"),
        ("confirmed", "manager"),
        ("accepted", "applicant"),
    ],
    "cancelled": [("cancelled", "manager")],
}


@pytest.fixture(autouse=True)
def _policies(db):
    # Transactional tests flush the seeded rows: set the policy every test relies on (the marker picks the kind of db).
    SlaPolicy.objects.update_or_create(urgency="critical", defaults={"reaction_minutes": 30, "resolution_minutes": 240})


@pytest.fixture(autouse=True)
def _executor(_policies):
    """A real verified elevator executor (assignment checks the role and the trade through `users`)."""
    global EXECUTOR
    EXECUTOR = ACTOR_IDS["executor"] = executor("elevator")


def _new(urgency: str = "critical") -> Request:
    return services.request_create(applicant_id=APPLICANT, category="elevator", description="Lift", urgency=urgency)


def _move(request: Request, to_status: str, actor_kind: str, reason: str = "") -> Request:
    return services.request_move(
        number=request.number,
        to_status=to_status,
        actor_kind=actor_kind,
        actor_id=ACTOR_IDS[actor_kind],
        reason=reason,
        executor_id=EXECUTOR,
    )


def _request_in(status: str, urgency: str = "critical") -> Request:
    request = _new(urgency)
    for to_status, actor_kind in PATHS[status]:
        if to_status == "completed":  # the work was photographed, as completing requires
            Attachment.objects.create(request=request, media_id=uuid.uuid4(), kind="after", added_by=EXECUTOR)
        request = _move(request, to_status, actor_kind, reason="because")
    return request


def _breaches() -> list[tuple[str, str]]:
    events = OutboxEvent.objects.filter(type="request.sla_breached").order_by("subject", "sequence")
    return [(event.subject, event.data["kind"]) for event in events]


def _close(delta: timedelta, expected: timedelta) -> bool:
    # request_create computes the deadlines a few microseconds before the row's created_at is stamped
    return abs(delta - expected) < timedelta(seconds=1)


def test_deadlines_are_set_at_creation_from_the_policy_of_the_urgency():
    # given policies of two urgencies
    SlaPolicy.objects.update_or_create(urgency="high", defaults={"reaction_minutes": 10, "resolution_minutes": 100})
    SlaPolicy.objects.update_or_create(urgency="low", defaults={"reaction_minutes": 60, "resolution_minutes": 600})
    # when requests of each are created
    high, low = _new("high"), _new("low")
    # then each takes its urgency's minutes from its creation time
    assert _close(high.reaction_deadline - high.created_at, timedelta(minutes=10))
    assert _close(high.resolution_deadline - high.created_at, timedelta(minutes=100))
    assert _close(low.reaction_deadline - low.created_at, timedelta(minutes=60))
    assert _close(low.resolution_deadline - low.created_at, timedelta(minutes=600))


def test_a_changed_policy_applies_to_new_requests_only():
    # given a request created under the old policy
    before = _new()
    old_deadlines = (before.reaction_deadline, before.resolution_deadline)
    # when the policy is changed and another request is created
    SlaPolicy.objects.filter(urgency="critical").update(reaction_minutes=5, resolution_minutes=50)
    after = _new()
    # then the old request keeps its deadlines and the new one gets the new minutes
    before.refresh_from_db()
    assert (before.reaction_deadline, before.resolution_deadline) == old_deadlines
    assert _close(old_deadlines[0] - before.created_at, timedelta(minutes=30))
    assert _close(after.reaction_deadline - after.created_at, timedelta(minutes=5))
    assert _close(after.resolution_deadline - after.created_at, timedelta(minutes=50))


def test_a_missing_policy_falls_back_to_the_defaults():
    SlaPolicy.objects.filter(urgency="medium").delete()
    request = _new("medium")
    assert _close(request.reaction_deadline - request.created_at, timedelta(hours=8))
    assert _close(request.resolution_deadline - request.created_at, timedelta(days=3))


def test_a_reaction_breach_is_stamped_and_published_once_even_when_the_sweep_runs_twice():
    # given a new critical request nobody took within its 30 minutes
    request = _new()
    now = request.reaction_deadline + timedelta(minutes=1)
    history = StatusChange.objects.filter(request=request).count()
    # when the sweep runs twice
    first = services.sla_sweep(now=now)
    second = services.sla_sweep(now=now + timedelta(minutes=1))
    # then one reaction breach was published, with the payload consumers need
    assert (first, second) == (1, 0)
    assert _breaches() == [(request.number, "reaction")]
    event = OutboxEvent.objects.get(type="request.sla_breached")
    assert event.source == "ukbot/requests"
    assert event.data == {
        "number": request.number,
        "kind": "reaction",
        "deadline": request.reaction_deadline.isoformat(),
        "urgency": "critical",
        "status": "new",
        "executor_id": None,
    }
    # and the request is stamped, but neither its version nor its history changed
    stamped = Request.objects.get(pk=request.pk)
    assert stamped.reaction_breached_at == now
    assert stamped.resolution_breached_at is None
    assert stamped.version == request.version
    assert StatusChange.objects.filter(request=request).count() == history


def test_a_resolution_breach_is_published_once():
    # given a request assigned in time whose work is still not done after its 4 hours
    request = _request_in("in_progress")
    now = request.resolution_deadline + timedelta(seconds=1)
    # when the sweep runs twice
    counts = (services.sla_sweep(now=now), services.sla_sweep(now=now + timedelta(hours=1)))
    # then one resolution breach was published, naming the executor
    assert counts == (1, 0)
    assert _breaches() == [(request.number, "resolution")]
    event = OutboxEvent.objects.get(type="request.sla_breached")
    assert (event.data["status"], event.data["executor_id"]) == ("in_progress", EXECUTOR)
    assert event.data["deadline"] == request.resolution_deadline.isoformat()
    stamped = Request.objects.get(pk=request.pk)
    assert (stamped.reaction_breached_at, stamped.resolution_breached_at) == (None, now)
    assert stamped.version == request.version


def test_a_request_assigned_in_time_does_not_breach_reaction():
    # given a request assigned within its reaction time
    request = _request_in("assigned")
    # when the sweep runs after the reaction deadline (but before the resolution one)
    published = services.sla_sweep(now=request.reaction_deadline + timedelta(minutes=5))
    # then nothing is published or stamped
    assert published == 0
    assert _breaches() == []
    assert Request.objects.get(pk=request.pk).reaction_breached_at is None


@pytest.mark.parametrize("status", ["completed", "confirmed", "accepted", "cancelled"])
def test_done_and_closed_requests_do_not_breach(status):
    # given a request whose work was reported done, or which was closed, in time
    request = _request_in(status)
    # when the sweep runs long after both deadlines
    published = services.sla_sweep(now=request.resolution_deadline + timedelta(days=30))
    # then nothing is published
    assert published == 0
    assert _breaches() == []


def test_a_request_breaching_both_deadlines_gets_two_events_each_once():
    # given a new request left alone past both deadlines
    request = _new()
    now = request.resolution_deadline + timedelta(minutes=1)
    # when the sweep runs twice
    counts = (services.sla_sweep(now=now), services.sla_sweep(now=now))
    # then each kind was published once
    assert counts == (2, 0)
    assert sorted(_breaches()) == [(request.number, "reaction"), (request.number, "resolution")]
    stamped = Request.objects.get(pk=request.pk)
    assert stamped.reaction_breached_at == stamped.resolution_breached_at == now
    assert stamped.version == request.version


def test_a_question_to_the_applicant_does_not_pause_the_clocks():
    # given a new request the manager asked a question about, unanswered past its reaction deadline
    request = _new()
    _move(request, "clarification", "manager", reason="Which entrance?")
    asked = Request.objects.get(pk=request.pk)
    now = request.reaction_deadline + timedelta(minutes=1)
    # then it counts as overdue (nobody is assigned yet)
    assert Request.objects.filter(sla.overdue_q(now=now), pk=request.pk).exists()
    assert sla.is_overdue(request=asked, now=now)
    # when the sweep runs then, and again past the resolution deadline
    counts = (services.sla_sweep(now=now), services.sla_sweep(now=request.resolution_deadline + timedelta(minutes=1)))
    # then both deadlines were breached, each once
    assert counts == (1, 1)
    assert sorted(_breaches()) == [(request.number, "reaction"), (request.number, "resolution")]
    assert OutboxEvent.objects.filter(type="request.sla_breached").first().data["status"] == "clarification"


def test_a_breach_stamped_once_is_not_published_again_after_the_request_returns_to_work():
    # given a resolution breach already published, then the work reported done and sent back
    request = _request_in("in_progress")
    now = request.resolution_deadline + timedelta(minutes=1)
    assert services.sla_sweep(now=now) == 1
    Attachment.objects.create(request=request, media_id=uuid.uuid4(), kind="after", added_by=EXECUTOR)
    _move(request, "completed", "executor")
    _move(request, "in_progress", "manager", reason="Not finished")
    # when the sweep runs again
    # then the same breach is not published a second time
    assert services.sla_sweep(now=now + timedelta(hours=1)) == 0
    assert _breaches() == [(request.number, "resolution")]


def test_the_sweep_stamps_exactly_the_requests_overdue_q_selects():
    # given requests in assorted states, some overdue and some not
    overdue_new = _new()
    overdue_work = _request_in("in_progress")
    _request_in("completed")
    _request_in("cancelled")
    fresh = _new("low")
    SlaPolicy.objects.filter(urgency="critical").update(reaction_minutes=24 * 60, resolution_minutes=48 * 60)
    not_yet = _new()
    now = overdue_work.resolution_deadline + timedelta(minutes=1)
    selected = set(Request.objects.filter(sla.overdue_q(now=now)).values_list("number", flat=True))
    # when the sweep runs
    services.sla_sweep(now=now)
    # then the breached requests are the ones overdue_q selected (and the per-row test agrees)
    assert {r.number for r in Request.objects.all() if sla.is_overdue(request=r, now=now)} == selected
    assert selected == {overdue_new.number, overdue_work.number}
    assert {number for number, _kind in _breaches()} == selected
    assert fresh.number not in selected and not_yet.number not in selected


def test_a_sweep_works_through_more_requests_than_one_batch():
    requests = [_new() for _ in range(7)]
    published = services.sla_sweep(now=requests[-1].reaction_deadline + timedelta(minutes=1), batch=3)
    assert published == 7
    assert sorted(_breaches()) == sorted((r.number, "reaction") for r in requests)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_publish_each_breach_exactly_once():
    # given forty requests past both deadlines
    requests = [_new() for _ in range(40)]
    now = max(r.resolution_deadline for r in requests) + timedelta(minutes=1)
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            counts.append(services.sla_sweep(now=now, batch=5))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    # when two sweeps run at the same time, in small batches so they interleave
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every breach was published once, by one sweep or the other
    assert errors == []
    assert sum(counts) == 80
    assert sorted(_breaches()) == sorted((r.number, kind) for r in requests for kind in ("reaction", "resolution"))
    assert not Request.objects.filter(reaction_breached_at__isnull=True).exists()
    assert set(Request.objects.values_list("version", flat=True)) == {1}


def _set_auto_accept_days(days: int) -> None:
    Settings.objects.update_or_create(id=1, defaults={"auto_accept_days": days})


def test_confirmed_work_is_accepted_by_the_system_after_the_configured_days():
    # given auto-acceptance after 2 days and work confirmed by the manager
    _set_auto_accept_days(2)
    request = _request_in("confirmed")
    confirmed_at = request.confirmed_at
    # when the sweep runs one day later, nothing happens
    assert services.auto_accept_sweep(now=confirmed_at + timedelta(days=1)) == 0
    assert Request.objects.get(pk=request.pk).status == "confirmed"
    assert not OutboxEvent.objects.filter(type="request.status_changed", data__new_status="accepted").exists()
    # when it runs two days later
    assert services.auto_accept_sweep(now=confirmed_at + timedelta(days=2)) == 1
    # then the request is accepted and closed, by the system, with history and an event saying why
    accepted = Request.objects.get(pk=request.pk)
    assert accepted.status == "accepted"
    assert accepted.closed_at is not None
    entry = StatusChange.objects.filter(request=request).last()
    assert (entry.actor_kind, entry.actor_id, entry.from_status, entry.to_status) == (
        "system",
        None,
        "confirmed",
        "accepted",
    )
    assert "2" in entry.reason
    event = (
        OutboxEvent.objects.filter(type="request.status_changed", subject=request.number).order_by("sequence").last()
    )
    assert event.data == {
        "number": request.number,
        "old_status": "confirmed",
        "new_status": "accepted",
        "actor_id": None,
        "actor_kind": "system",
        "reason": entry.reason,
    }
    # and a second sweep finds nothing more to do
    assert services.auto_accept_sweep(now=confirmed_at + timedelta(days=3)) == 0


def test_work_returned_meanwhile_is_not_auto_accepted():
    # given confirmed work the applicant returned
    _set_auto_accept_days(2)
    request = _request_in("confirmed")
    _move(request, "returned", "applicant", reason="Still leaking")
    # when the sweep runs long after
    accepted = services.auto_accept_sweep(now=request.confirmed_at + timedelta(days=10))
    # then the request stays returned
    assert accepted == 0
    assert Request.objects.get(pk=request.pk).status == "returned"
    assert not StatusChange.objects.filter(request=request, actor_kind="system").exists()


def test_a_request_changed_during_the_sweep_is_skipped_and_the_rest_are_accepted(monkeypatch, caplog):
    # given two requests due for auto-acceptance
    _set_auto_accept_days(1)
    first, second = _request_in("confirmed"), _request_in("confirmed")
    real_move = services.sla.request_move

    def move_after_the_applicant(**kwargs):
        if kwargs["number"] == first.number and kwargs["actor_kind"] == "system":
            # the applicant returns the first one between the sweep's listing and its move
            _move(first, "returned", "applicant", reason="Still leaking")
        return real_move(**kwargs)

    monkeypatch.setattr(services.sla, "request_move", move_after_the_applicant)
    # when the sweep runs
    accepted = services.auto_accept_sweep(now=timezone.now() + timedelta(days=1))
    # then the changed one is left as the applicant left it and the other is accepted
    assert accepted == 1
    assert Request.objects.get(pk=first.pk).status == "returned"
    assert Request.objects.get(pk=second.pk).status == "accepted"
    assert f"skipped request {first.number} (CONFLICT)" in caplog.text


def test_beat_schedules_the_sweeps():
    app.finalize()  # the schedule is built when the app is finalised (a worker or beat does it at start-up)
    schedule = app.conf.beat_schedule
    assert schedule["requests-sla-sweep"] == {"task": "ukbot.requests.sla_sweep", "schedule": 60.0}
    assert schedule["requests-auto-accept"] == {"task": "ukbot.requests.auto_accept", "schedule": 900.0}


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_sweep_task_and_the_breach_lands_in_the_outbox():
    # given a committed request whose reaction deadline has passed, and a real worker
    request = _new()
    Request.objects.filter(pk=request.pk).update(reaction_deadline=timezone.now() - timedelta(minutes=1))
    app.control.purge()  # tasks left by earlier tests that had no worker
    worker = start_worker(env=subprocess_env())
    try:
        # when the beat task is sent to it
        tasks.sla_sweep.delay()
        # then the worker publishes the breach
        deadline = time.monotonic() + 30
        while not OutboxEvent.objects.filter(type="request.sla_breached", subject=request.number).exists():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)
    finally:
        stop_worker(worker)
    assert _breaches() == [(request.number, "reaction")]
    assert Request.objects.get(pk=request.pk).reaction_breached_at is not None
