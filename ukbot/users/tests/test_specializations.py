"""Specializations with levels 1–5, and the category → specialization map of DESIGN §4."""

from __future__ import annotations

import pytest

from ukbot.core.errors import NotFoundError, ValidationFailedError
from ukbot.users import public, services
from ukbot.users.models import Specialization
from ukbot.users.selectors import profile_specializations
from ukbot.users.tests.factories import events, profile

CATEGORIES = {
    "electricity": "electrician",
    "plumbing": "plumber",
    "heating": "heating",
    "ventilation": "ventilation",
    "elevator": "elevator",
    "cleaning": "cleaning",
    "landscaping": "landscaping",
    "security": "security",
    "internet": "electrician",
    "repair": "repair",
    "other": "repair",
}


@pytest.mark.parametrize(("category", "specialization"), sorted(CATEGORIES.items()))
def test_category_specialization_follows_design(category, specialization):
    assert public.category_specialization(category=category) == specialization


def test_an_unknown_category_has_no_specialization():
    with pytest.raises(KeyError):
        public.category_specialization(category="gardening")


@pytest.mark.django_db
def test_specialization_set_adds_then_changes_the_level():
    person = profile(roles=("executor",))

    services.specialization_set(account_id=person.account_id, key="plumber", level=2)
    services.specialization_set(account_id=person.account_id, key="electrician", level=5)
    services.specialization_set(account_id=person.account_id, key="plumber", level=4)
    services.specialization_set(account_id=person.account_id, key="plumber", level=4)  # no change

    assert profile_specializations(account_id=person.account_id) == {"plumber": 4, "electrician": 5}
    assert [d["changed_fields"] for _, _, d in events("user.profile_updated")] == [["specializations"]] * 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "level", "field"),
    [
        ("plumber", 0, "level"),
        ("plumber", 6, "level"),
        ("plumber", -1, "level"),
        ("plumber", "3", "level"),
        ("plumber", True, "level"),
        ("astronaut", 3, "key"),
        ("", 3, "key"),
    ],
)
def test_specialization_set_refuses_bad_input_and_writes_nothing(key, level, field):
    person = profile(roles=("executor",))

    with pytest.raises(ValidationFailedError) as caught:
        services.specialization_set(account_id=person.account_id, key=key, level=level)

    assert [detail.field for detail in caught.value.details] == [field]
    assert Specialization.objects.count() == 0
    assert events("user.profile_updated") == []


@pytest.mark.django_db
def test_level_message_names_the_range():
    person = profile()

    with pytest.raises(ValidationFailedError) as caught:
        services.specialization_set(account_id=person.account_id, key="plumber", level=6)

    assert str(caught.value.details[0].message) == "The level is a whole number from 1 to 5."


@pytest.mark.django_db
def test_specialization_remove_deletes_it_and_publishes():
    person = profile()
    services.specialization_set(account_id=person.account_id, key="cleaning", level=1)

    services.specialization_remove(account_id=person.account_id, key="cleaning")

    assert Specialization.objects.count() == 0
    assert len(events("user.profile_updated")) == 2


@pytest.mark.django_db
def test_removing_a_specialization_not_held_is_not_found():
    person = profile()

    with pytest.raises(NotFoundError):
        services.specialization_remove(account_id=person.account_id, key="cleaning")

    assert events("user.profile_updated") == []
