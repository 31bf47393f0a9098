"""Request numbers: YYMMDD-NNN per day, atomic under concurrency, and a rolled-back creation gives its number back."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connections, transaction
from django.utils import timezone

from ukbot.core.errors import ValidationFailedError
from ukbot.core.models import OutboxEvent
from ukbot.requests import services
from ukbot.requests.models import DayCounter, Request, SlaPolicy


def _create(**extra) -> Request:
    return services.request_create(applicant_id=1, category="plumbing", description="Leak in the bathroom", **extra)


@pytest.mark.django_db
def test_numbers_are_the_day_and_a_padded_counter_growing_past_999():
    today = timezone.localdate()
    first, second = _create(), _create()
    assert (first.number, second.number) == (f"{today:%y%m%d}-001", f"{today:%y%m%d}-002")
    DayCounter.objects.filter(day=today).update(last=998)
    assert [_create().number for _ in range(2)] == [f"{today:%y%m%d}-999", f"{today:%y%m%d}-1000"]


@pytest.mark.django_db
def test_each_day_has_its_own_counter_and_the_policy_comes_with_the_number():
    with transaction.atomic():
        SlaPolicy.objects.filter(urgency="high").update(reaction_minutes=90, resolution_minutes=600)
        assert services.number_allocate(day=date(2026, 12, 31), urgency="high") == ("261231-001", 1, (90, 600))
        assert services.number_allocate(day=date(2027, 1, 1), urgency="low")[:2] == ("270101-001", 1)
        assert services.number_allocate(day=date(2026, 12, 31), urgency="high")[:2] == ("261231-002", 2)
        SlaPolicy.objects.filter(urgency="low").delete()
        assert services.number_allocate(day=date(2027, 1, 1), urgency="low") == ("270101-002", 2, None)


@pytest.mark.django_db
def test_creation_publishes_request_created_and_writes_history():
    request = _create(urgency="high", source="bot")
    event = OutboxEvent.objects.get(type="request.created")
    assert event.subject == request.number
    assert (event.data["category"], event.data["urgency"], event.data["source"]) == ("plumbing", "high", "bot")
    assert [(h.from_status, h.to_status) for h in request.history.all()] == [("", "new")]


def _in_threads(count: int, work) -> list:
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_distinct_consecutive_numbers():
    numbers = _in_threads(12, lambda i: _create().number)
    seqs = sorted(int(n.split("-")[1]) for n in numbers)
    assert seqs == list(range(1, 13))
    assert Request.objects.count() == 12


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_creation_gives_its_number_to_the_next_creator():
    holding, released = threading.Event(), threading.Event()

    def doomed(_i: int) -> str:
        with pytest.raises(RuntimeError), transaction.atomic():
            number = _create().number
            holding.set()
            released.wait(10)
            raise RuntimeError("the caller's transaction fails after the number was taken")
        return number

    def waiting(_i: int) -> str:
        holding.wait(10)
        timer = threading.Timer(0.3, released.set)  # let this creator queue behind the doomed one's lock
        timer.start()
        return _create().number

    thread = threading.Thread(target=lambda: _in_threads(1, doomed))
    thread.start()
    (taken,) = _in_threads(1, waiting)
    thread.join(10)
    today = timezone.localdate()
    assert taken == f"{today:%y%m%d}-001"  # the doomed creation's number, given back
    assert _create().number == f"{today:%y%m%d}-002"
    assert Request.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "magic"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 10_000}, "description"),
        ({"description": "nul\x00byte"}, "description"),
        ({"contact_phone": "call me maybe"}, "contact_phone"),
        ({"urgency": "yesterday"}, "urgency"),
    ],
)
def test_bad_input_creates_nothing_and_publishes_nothing(fields, field):
    body = {"applicant_id": 1, "category": "plumbing", "description": "Leak", **fields}
    with pytest.raises(ValidationFailedError) as error:
        services.request_create(**body)
    assert field in [d.field for d in error.value.details]
    assert Request.objects.count() == 0
    assert not DayCounter.objects.exists()
    assert not OutboxEvent.objects.exists()
