"""The manager's assign screen in the bot gives a new request out through the one dispatch service: the choice is
logged as manual, and an executor at capacity is refused with a sentence the manager can act on."""

from __future__ import annotations

import pytest

from tests.bot.test_assign_paging import MONA, _request
from tests.factories import executor, telegram_person
from ukbot.assignment import services as assignment
from ukbot.assignment.models import Assignment
from ukbot.requests import selectors as requests_selectors

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_choice_in_the_bot_is_logged_as_manual_and_capacity_is_kept(bot):
    manager_id = telegram_person("manager", MONA, language="en")
    mona = bot.person(MONA, "Mona", language_code="en")
    assignment.settings_update(actor_id=None, capacity=1)
    plumber = executor("plumber")
    first, second = _request(), _request()

    mona.press(f"req:open:{first}")
    [choice] = mona.tap("👷 Assign")
    [done] = mona.tap(f"#{plumber} ·", on=choice)

    assert done.text == f"Request {first} is assigned to #{plumber}."
    row = Assignment.objects.get(request_number=first)
    assert (row.executor_id, row.algorithm, row.decided_by) == (plumber, "manual", manager_id)

    mona.press(f"req:open:{second}")
    [choice] = mona.tap("👷 Assign")
    [refused] = mona.tap(f"#{plumber} ·", on=choice)

    assert refused.text == f"#{plumber} already has as many open requests as allowed; choose someone else."
    assert requests_selectors.request_get(number=second).executor_id is None
    assert not Assignment.objects.filter(request_number=second).exists()
