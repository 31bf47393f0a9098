"""Dispatchers at the same moment, on real PostgreSQL in threads: one request is never given out twice, and an
executor is never given more than the capacity allows."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from tests.factories import executor, person
from tests.integration.test_assignment_api import _request
from ukbot.assignment import services as assignment
from ukbot.assignment.models import Assignment
from ukbot.core.errors import AppError
from ukbot.core.models import OutboxEvent
from ukbot.requests.models import Request

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(calls: list) -> list[str]:
    """Run ``calls`` in threads released together; return each one's outcome: ``ok`` or the error code."""
    outcomes: list[str] = [""] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            calls[i]()
            outcomes[i] = "ok"
        except AppError as exc:
            outcomes[i] = exc.code
        except BaseException as exc:  # surfaced by the assertion of the caller
            outcomes[i] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a dispatch hung"
    return outcomes


def test_managers_assigning_one_request_at_once_never_both_win():
    number = _request()
    people = [executor("plumber") for _ in range(6)]
    managers = [person("manager") for _ in people]

    outcomes = _at_once(
        [
            lambda e=e, m=m: assignment.assignment_manual(number=number, executor_id=e, actor_id=m)
            for e, m in zip(people, managers, strict=True)
        ]
    )

    assert Counter(outcomes) == {"ok": 1, "REQUEST_ALREADY_ASSIGNED": 5}
    winner = Assignment.objects.get(request_number=number)
    assert Request.objects.get(pk=number).executor_id == winner.executor_id
    assert OutboxEvent.objects.filter(type="assignment.created", subject=number).count() == 1
    assert OutboxEvent.objects.filter(type="request.assigned", subject=number).count() == 1


def test_managers_giving_one_executor_work_at_once_never_push_them_over_capacity():
    assignment.settings_update(actor_id=None, capacity=2)
    plumber = executor("plumber")
    numbers = [_request() for _ in range(6)]

    outcomes = _at_once(
        [lambda n=n: assignment.assignment_manual(number=n, executor_id=plumber, actor_id=1) for n in numbers]
    )

    assert Counter(outcomes) == {"ok": 2, "EXECUTOR_AT_CAPACITY": 4}
    assert Request.objects.filter(executor_id=plumber).count() == 2
    assert Assignment.objects.filter(executor_id=plumber).count() == 2
    assert Request.objects.filter(pk__in=numbers, status="new").count() == 4


def test_an_executor_claiming_while_a_manager_gives_them_work_ends_within_capacity():
    from ukbot.requests import services as requests_services
    from ukbot.shifts import services as shifts

    assignment.settings_update(actor_id=None, capacity=1)
    for _ in range(3):  # a few rounds: either side may be first
        plumber = executor("plumber")
        shift = shifts.shift_start(executor_id=plumber, specialization="plumber")
        pooled, given = _request(), _request()

        outcomes = _at_once(
            [
                lambda n=pooled, e=plumber: requests_services.request_move(
                    number=n, to_status="assigned", actor_kind="executor", actor_id=e
                ),
                lambda n=given, e=plumber: assignment.assignment_manual(number=n, executor_id=e, actor_id=1),
            ]
        )

        assert sorted(outcomes) == ["EXECUTOR_AT_CAPACITY", "ok"]
        assert Request.objects.filter(executor_id=plumber).count() == 1
        shifts.shift_end(executor_id=plumber, shift_id=shift.pk)
