"""The manager's list of executors to assign a request to, against the fake Bot API: it pages through all of them
(◀️ ▶️, "Page i of n"), in the order the selector ranks them, and a page turn on a stale request says so."""

from __future__ import annotations

import re

import pytest

from tests.factories import executor, person, telegram_person
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services

pytestmark = pytest.mark.django_db(transaction=True)
MONA = 8601


def _request() -> str:
    return requests_services.request_create(
        applicant_id=person("applicant"), category="plumbing", description="The kitchen tap leaks"
    ).number


def _executors_on(reply) -> list[int]:
    """The executors offered on a page, in the order of its buttons."""
    return [int(re.match(r"#(\d+) ·", label).group(1)) for label in reply.buttons if label.startswith("#")]


def test_the_assign_list_pages_through_every_executor_least_busy_first(bot):
    manager_id = telegram_person("manager", MONA, language="en")
    mona = bot.person(MONA, "Mona", language_code="en")
    plumbers = [executor("plumber") for _ in range(21)]
    for busy in plumbers[:3]:  # a request in hand each: they come last
        requests_services.request_reassign(number=_request(), executor_id=busy, actor_id=manager_id)
    number = _request()
    ranked = [ref.account_id for ref, _load in requests_selectors.executors_by_load(specialization="plumber")]
    assert len(ranked) == 21 and set(ranked[-3:]) == set(plumbers[:3])

    mona.press(f"req:open:{number}")
    [first] = mona.tap("👷 Assign")
    assert first.text == f"Who will do request {number} (Plumbing)? The least busy come first.\n\nPage 1 of 3"
    assert first.buttons[-1] == "▶️" and "◀️" not in first.buttons
    assert _executors_on(first) == ranked[:8]

    [second] = mona.tap("▶️", on=first)
    assert (second.method, second.message_id) == ("editMessageText", first.message_id)  # the page turns in place
    assert second.text.endswith("\n\nPage 2 of 3")
    assert second.buttons[-2:] == ["◀️", "▶️"]
    assert _executors_on(second) == ranked[8:16]

    [third] = mona.tap("▶️", on=second)
    assert third.text.endswith("\n\nPage 3 of 3")
    assert third.buttons[-1] == "◀️" and "▶️" not in third.buttons
    assert _executors_on(third) == ranked[16:]
    assert [line for line in third.buttons if line.startswith("#")][-1].endswith("· 1 in hand")

    [back] = mona.tap("◀️", on=third)
    assert _executors_on(back) == ranked[8:16]

    [done] = mona.tap(f"#{ranked[-1]} ·", on=third)  # the busiest, from the last page
    assert done.text == f"Request {number} is assigned to #{ranked[-1]}."
    assert requests_selectors.request_get(number=number).executor_id == ranked[-1]


def test_a_page_turn_of_a_request_changed_meanwhile_shows_it_as_it_is_now(bot):
    telegram_person("manager", MONA, language="en")
    mona = bot.person(MONA, "Mona", language_code="en")
    plumbers = [executor("plumber") for _ in range(9)]
    number = _request()
    mona.press(f"req:open:{number}")
    [first] = mona.tap("👷 Assign")
    assert first.text.endswith("Page 1 of 2")

    requests_services.request_reassign(number=number, executor_id=plumbers[0], actor_id=person("manager"))
    replies = mona.tap("▶️", on=first)

    assert replies[0].text == f"Somebody changed request {number} meanwhile; nothing was done. Here it is now:"
    assert number in replies[1].text
    assert requests_selectors.request_get(number=number).executor_id == plumbers[0]


def test_a_short_list_has_no_pages(bot):
    telegram_person("manager", MONA, language="en")
    mona = bot.person(MONA, "Mona", language_code="en")
    plumbers = [executor("plumber") for _ in range(8)]
    number = _request()
    mona.press(f"req:open:{number}")
    [only] = mona.tap("👷 Assign")
    assert "Page" not in only.text and "▶️" not in only.buttons and "◀️" not in only.buttons
    assert sorted(_executors_on(only)) == sorted(plumbers)
