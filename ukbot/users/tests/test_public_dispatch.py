"""The public doors the requests admin uses: display names, building labels and verified executors of a trade."""

from __future__ import annotations

import dataclasses

import pytest

from ukbot.users import public, services
from ukbot.users.tests.factories import building, profile

pytestmark = pytest.mark.django_db


def _executor(*trades: tuple[str, int], approved: bool = True, **fields) -> int:
    person = profile(roles=("executor",), **fields)
    for key, level in trades:
        services.specialization_set(account_id=person.account_id, key=key, level=level)
    if approved:
        services.profile_approve(account_id=person.account_id)
    return person.account_id


def test_person_names_give_the_full_name_or_the_id():
    named = profile(first_name="Dilnoza", last_name="Karimova").account_id
    nameless = profile().account_id
    unknown = 987654321

    names = public.person_names(account_ids=[named, nameless, unknown, named])

    assert names == {named: "Dilnoza Karimova", nameless: f"#{nameless}", unknown: f"#{unknown}"}


def test_building_labels_are_addresses_and_leave_unknown_ids_out():
    first, second = building(address="ул. Навои, 12"), building(address="Amir Temur 1")

    assert public.building_labels(building_ids=[first.pk, second.pk, 999999]) == {
        first.pk: "ул. Навои, 12",
        second.pk: "Amir Temur 1",
    }
    assert public.building_labels(building_ids=[]) == {}


def test_verified_executors_are_approved_executors_of_the_trade_or_universal():
    plumber = _executor(("plumber", 4), first_name="Bobur", last_name="Aliev")
    handyman = _executor(("universal", 2))
    both = _executor(("universal", 5), ("plumber", 1))
    _executor(("electrician", 5))  # another trade
    _executor(("plumber", 5), approved=False)  # not checked yet
    blocked = _executor(("plumber", 3))
    services.profile_block(account_id=blocked)
    not_executor = profile(roles=("applicant",))
    services.specialization_set(account_id=not_executor.account_id, key="plumber", level=3)
    services.profile_approve(account_id=not_executor.account_id)

    found = public.verified_executors(specialization="plumber")

    assert found == (
        public.ExecutorRef(account_id=plumber, full_name="Bobur Aliev", level=4, specialization="plumber"),
        public.ExecutorRef(account_id=handyman, full_name=f"#{handyman}", level=2, specialization="universal"),
        public.ExecutorRef(account_id=both, full_name=f"#{both}", level=1, specialization="plumber"),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].level = 5  # type: ignore[misc]
    assert public.verified_executors(specialization="elevator") == (
        found[1],
        dataclasses.replace(found[2], level=5, specialization="universal"),
    )
