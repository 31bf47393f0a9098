"""An executor's current shift as a frozen dataclass: which shift, in which trade, since when."""

from __future__ import annotations

import pytest

from tests.factories import executor
from ukbot.shifts import selectors, services

pytestmark = pytest.mark.django_db


def test_the_current_shift_is_read_while_on_shift_only():
    plumber = executor("plumber")
    assert selectors.shift_current(executor_id=plumber) is None

    shift = services.shift_start(executor_id=plumber)
    current = selectors.shift_current(executor_id=plumber)
    services.shift_end(executor_id=plumber, shift_id=shift.pk)

    assert current == selectors.CurrentShift(shift.pk, "plumber", shift.actual_start)
    assert selectors.shift_current(executor_id=plumber) is None
