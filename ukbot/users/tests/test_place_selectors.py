"""The place tree read level by level, as a resident picks an apartment in the bot."""

from __future__ import annotations

import pytest

from ukbot.users import selectors, services

pytestmark = pytest.mark.django_db


def test_each_level_lists_its_children_in_reading_order():
    north = services.yard_create(name="North")
    south = services.yard_create(name="South")
    b2 = services.building_create(yard_id=north.pk, address="Lane 2")
    b1 = services.building_create(yard_id=north.pk, address="Lane 1")
    services.building_create(yard_id=south.pk, address="Elsewhere 9")
    first = services.entrance_create(building_id=b1.pk, number=1)
    services.entrance_create(building_id=b1.pk, number=2)  # no apartments: nothing to pick there
    for number in ("10", "2", "12a", "12", "A1"):
        services.apartment_create(entrance_id=first.pk, number=number)

    assert [y.name for y in selectors.yard_list()] == ["North", "South"]
    assert [b.pk for b in selectors.buildings_of_yard(yard_id=north.pk)] == [b1.pk, b2.pk]
    assert [e.number for e in selectors.entrances_of_building(building_id=b1.pk)] == [1]
    assert [a.number for a in selectors.apartments_of_entrance(entrance_id=first.pk)] == ["2", "10", "12", "12a", "A1"]
