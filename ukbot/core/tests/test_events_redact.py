"""Blanking personal facts in held events: only the matching rows of the named types, only the named fields."""

from __future__ import annotations

import pytest

from ukbot.core.events import payloads_of, payloads_redact, publish
from ukbot.core.models import OutboxEvent
from ukbot.core.tests.bus_handlers import THING_HAPPENED, THING_IGNORED

pytestmark = pytest.mark.django_db


def test_redact_blanks_the_fields_of_matching_events_only_and_twice_changes_nothing():
    mine = publish(THING_IGNORED, subject="a", data={"who": 7, "where": "41.3,69.2", "n": 1})
    theirs = publish(THING_IGNORED, subject="b", data={"who": 8, "where": "40.1,70.0", "n": 2})
    other_type = publish(THING_HAPPENED, subject="c", data={"who": 7, "where": "39.0,66.9", "n": 3})

    assert [p["where"] for p in payloads_of(types=["thing.ignored"], match={"who": 7})] == ["41.3,69.2"]
    assert payloads_redact(types=["thing.ignored"], match={"who": 7}, fields={"where": None}) == 1
    assert payloads_redact(types=["thing.ignored"], match={"who": 7}, fields={"where": None}) == 0

    data = {row.pk: row.data for row in OutboxEvent.objects.all()}
    assert data[mine.id] == {"who": 7, "where": None, "n": 1}  # the other fields and the row stay
    assert data[theirs.id]["where"] == "40.1,70.0"
    assert data[other_type.id]["where"] == "39.0,66.9"
    found = payloads_of(types=["thing.ignored"], match={"who": 7})
    assert [(p["type"], p["where"]) for p in found] == [("thing.ignored", None)]


@pytest.mark.parametrize("match", [{"who": "7"}, {"who": 70}, {"nobody": 7}])
def test_redact_matches_payload_values_exactly(match):
    publish(THING_IGNORED, subject="a", data={"who": 7, "where": "x"})
    assert payloads_redact(types=["thing.ignored"], match=match, fields={"where": ""}) == 0
    assert payloads_of(types=["thing.ignored"], match=match) == []
    assert payloads_redact(types=[], match={"who": 7}, fields={"where": ""}) == 0
