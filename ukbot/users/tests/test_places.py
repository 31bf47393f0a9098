"""The place tree: yard → building → entrance → apartment, unique per parent, coordinates in range."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.users import services
from ukbot.users.models import Apartment, Building, Entrance, Yard
from ukbot.users.tests.factories import apartment, building

pytestmark = pytest.mark.django_db


def test_the_tree_is_built_top_down():
    yard = services.yard_create(name="Tashkent City", address="Furqat 1")
    house = services.building_create(
        yard_id=yard.pk, address="Furqat 1A", latitude=Decimal("41.316"), longitude=Decimal("69.249")
    )
    entrance = services.entrance_create(building_id=house.pk, number=2)
    flat = services.apartment_create(entrance_id=entrance.pk, number="45a", floor=7)

    stored = Apartment.objects.select_related("entrance__building__yard").get(pk=flat.pk)
    assert (stored.number, stored.floor, stored.entrance.number) == ("45a", 7, 2)
    assert (stored.entrance.building.address, stored.entrance.building.yard.name) == ("Furqat 1A", "Tashkent City")
    assert (stored.entrance.building.latitude, stored.entrance.building.longitude) == (
        Decimal("41.316000"),
        Decimal("69.249000"),
    )


def test_a_building_may_wait_for_its_coordinates():
    yard = services.yard_create(name="Chilanzar")

    house = services.building_create(yard_id=yard.pk, address="Bunyodkor 5")

    assert (house.latitude, house.longitude) == (None, None)


@pytest.mark.parametrize(
    ("latitude", "longitude", "fields"),
    [
        ("90.000001", "69", {"latitude"}),
        ("-91", "69", {"latitude"}),
        ("41", "180.5", {"longitude"}),
        ("41", "-181", {"longitude"}),
        ("1000", "69", {"latitude"}),
        ("41.3", None, {None}),
        (None, "69.2", {None}),
    ],
)
def test_coordinates_out_of_range_or_alone_are_refused(latitude, longitude, fields):
    yard = services.yard_create(name="Yunusabad")

    with pytest.raises(ValidationFailedError) as caught:
        services.building_create(
            yard_id=yard.pk,
            address="Amir Temur 108",
            latitude=None if latitude is None else Decimal(latitude),
            longitude=None if longitude is None else Decimal(longitude),
        )

    assert {detail.field for detail in caught.value.details} == fields
    assert Building.objects.count() == 0


def test_the_edges_of_the_coordinate_ranges_are_allowed():
    yard = services.yard_create(name="Poles")

    services.building_create(yard_id=yard.pk, address="North", latitude=Decimal(90), longitude=Decimal(180))
    services.building_create(yard_id=yard.pk, address="South", latitude=Decimal(-90), longitude=Decimal(-180))

    assert Building.objects.count() == 2


def test_the_database_refuses_coordinates_out_of_range_too():
    house = building()

    with pytest.raises(IntegrityError), transaction.atomic():
        Building.objects.filter(pk=house.pk).update(latitude=Decimal("95"))


def test_duplicates_under_one_parent_are_conflicts_but_other_parents_are_free():
    flat = apartment(number="12")
    entrance = flat.entrance
    house = entrance.building

    with pytest.raises(ConflictError) as caught:
        services.apartment_create(entrance_id=entrance.pk, number="12")
    assert str(caught.value.message) == "The entrance already has an apartment with this number."
    with pytest.raises(ConflictError):
        services.entrance_create(building_id=house.pk, number=1)
    with pytest.raises(ConflictError):
        services.building_create(yard_id=house.yard_id, address=house.address)
    with pytest.raises(ConflictError):
        services.yard_create(name=house.yard.name)

    other_entrance = services.entrance_create(building_id=house.pk, number=2)
    services.apartment_create(entrance_id=other_entrance.pk, number="12")
    assert (Yard.objects.count(), Building.objects.count(), Entrance.objects.count(), Apartment.objects.count()) == (
        1,
        1,
        2,
        2,
    )


@pytest.mark.parametrize(
    ("create", "kwargs"),
    [
        (services.building_create, {"yard_id": 999999, "address": "Nowhere"}),
        (services.entrance_create, {"building_id": 999999, "number": 1}),
        (services.apartment_create, {"entrance_id": 999999, "number": "1"}),
    ],
)
def test_a_missing_parent_is_not_found(create, kwargs):
    with pytest.raises(NotFoundError):
        create(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"number": ""}, "number"), ({"number": "1", "floor": 201}, "floor"), ({"number": "x" * 11}, "number")],
)
def test_bad_apartments_are_refused(kwargs, field):
    entrance = Entrance.objects.create(building=building(), number=1)

    with pytest.raises(ValidationFailedError) as caught:
        services.apartment_create(entrance_id=entrance.pk, **kwargs)

    assert {detail.field for detail in caught.value.details} == {field}
    assert Apartment.objects.count() == 0


def test_entrance_numbers_start_at_one():
    with pytest.raises(ValidationFailedError):
        services.entrance_create(building_id=building().pk, number=0)


def test_an_empty_yard_name_is_refused():
    with pytest.raises(ValidationFailedError):
        services.yard_create(name="")
