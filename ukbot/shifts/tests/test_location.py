"""The live location of an executor on shift: published as ``executor.location_updated``, throttled, refused off
shift."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.factories import executor
from ukbot.core.errors import ConflictError, ValidationFailedError
from ukbot.core.models import OutboxEvent
from ukbot.shifts import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def test_a_location_on_shift_is_published_once_per_half_minute():
    plumber = executor("plumber")
    shift = services.shift_start(executor_id=plumber)

    assert services.location_update(executor_id=plumber, latitude=41.3111, longitude=69.2797) is True
    assert services.location_update(executor_id=plumber, latitude=41.3112, longitude=69.2798) is False

    [event] = OutboxEvent.objects.filter(type="executor.location_updated")
    assert event.subject == str(shift.pk)
    assert event.data["executor_id"] == plumber
    assert event.data["shift_id"] == shift.pk
    assert (event.data["latitude"], event.data["longitude"]) == ("41.311100", "69.279700")


def test_a_location_off_shift_or_without_coordinates_is_refused():
    plumber = executor("plumber")
    with pytest.raises(ConflictError) as refused:
        services.location_update(executor_id=plumber, latitude=41.3, longitude=69.2)
    assert str(refused.value.message) == "You are not on shift. Start your shift to share your location."

    services.shift_start(executor_id=plumber)
    with pytest.raises(ValidationFailedError):
        services.location_update(executor_id=plumber, latitude=None, longitude=None)
    with pytest.raises(ValidationFailedError):
        services.location_update(executor_id=plumber, latitude=95, longitude=69.2)
    assert not OutboxEvent.objects.filter(type="executor.location_updated").exists()


def test_the_active_shift_is_found_until_it_ends():
    plumber = executor("plumber")
    assert selectors.active_shift(executor_id=plumber) is None
    shift = services.shift_start(executor_id=plumber)
    active = selectors.active_shift(executor_id=plumber)
    assert active is not None and active.pk == shift.pk
    services.shift_end(executor_id=plumber, shift_id=shift.pk)
    assert selectors.active_shift(executor_id=plumber) is None


def test_dispatch_reads_the_last_published_location_and_forgetting_blanks_it():
    from ukbot.shifts import public

    plumber = executor("plumber")
    shift = services.shift_start(executor_id=plumber, latitude=41.30, longitude=69.20)
    services.location_update(executor_id=plumber, latitude=41.3111, longitude=69.2797)
    services.location_update(executor_id=plumber, latitude=41.5, longitude=69.5)  # too soon: not kept either

    [slot] = public.dispatch_shifts(specialization="plumber", starting_before=None, executor_ids=[plumber])
    assert (slot.shift_id, slot.active, slot.start_point, slot.live_point) == (
        shift.pk,
        True,
        (41.3, 69.2),
        (41.3111, 69.2797),
    )
    assert public.personal_data(account_id=plumber)["shifts"][0]["last_location"] == {
        "latitude": "41.311100",
        "longitude": "69.279700",
    }

    services.executor_locations_forget(executor_id=plumber)

    [slot] = public.dispatch_shifts(specialization="plumber", starting_before=None, executor_ids=[plumber])
    assert (slot.start_point, slot.live_point, slot.live_at) == (None, None, None)
