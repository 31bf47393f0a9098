"""The public door `auth` uses: access_profile and ensure_applicant return frozen dataclasses, never models."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from django.db import connection

from ukbot.core.errors import ValidationFailedError
from ukbot.users import public, services
from ukbot.users.models import Profile, RoleGrant
from ukbot.users.tests.factories import account_id, events, profile

pytestmark = pytest.mark.django_db


def test_access_profile_of_an_account_without_profile_says_none():
    person = account_id()

    assert public.access_profile(account_id=person) == public.AccessProfile(
        account_id=person, roles=(), active_role=None, scopes=(), status="none", language="ru"
    )


def test_access_profile_lists_all_roles_but_only_the_active_roles_scopes():
    person = profile(roles=("executor", "applicant"), language="uz")
    services.profile_approve(account_id=person.account_id)

    access = public.access_profile(account_id=person.account_id)

    assert access == public.AccessProfile(
        account_id=person.account_id,
        roles=("applicant", "executor"),
        active_role="executor",
        scopes=("read:places", "read:requests", "read:shifts", "write:media", "write:requests", "write:shifts"),
        status="approved",
        language="uz",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        access.status = "blocked"  # type: ignore[misc]


def test_switching_role_changes_the_scopes():
    person = profile(roles=("executor", "applicant"))

    services.active_role_switch(account_id=person.account_id, role="applicant")

    assert public.access_profile(account_id=person.account_id).scopes == (
        "read:places",
        "read:requests",
        "write:media",
        "write:requests",
    )


def test_a_blocked_person_reads_blocked():
    person = profile(roles=("manager",))
    services.profile_block(account_id=person.account_id)

    assert public.access_profile(account_id=person.account_id).status == "blocked"


def test_ensure_applicant_creates_profile_and_role_once():
    person = account_id()

    first = public.ensure_applicant(account_id=person, first_name="Bobur", language="uz")
    second = public.ensure_applicant(account_id=person, first_name="Ignored", language="en")

    assert (
        first
        == second
        == public.AccessProfile(
            account_id=person,
            roles=("applicant",),
            active_role="applicant",
            scopes=("read:places", "read:requests", "write:media", "write:requests"),
            status="pending",
            language="uz",
        )
    )
    assert Profile.objects.get(account_id=person).first_name == "Bobur"
    assert events() == [
        (
            "user.created",
            str(person),
            {
                "account_id": person,
                "roles": ["applicant"],
                "active_role": "applicant",
                "status": "pending",
                "language": "uz",
            },
        )
    ]


def test_ensure_applicant_gives_a_profile_without_roles_the_applicant_role():
    person = profile()

    access = public.ensure_applicant(account_id=person.account_id)

    assert (access.roles, access.active_role) == (("applicant",), "applicant")
    assert [d["new_roles"] for _, _, d in events("user.role_changed")] == [["applicant"]]


def test_ensure_applicant_leaves_staff_roles_alone():
    person = profile(roles=("manager",))

    access = public.ensure_applicant(account_id=person.account_id)

    assert (access.roles, access.active_role) == (("manager",), "manager")
    assert list(RoleGrant.objects.values_list("role", flat=True)) == ["manager"]


def test_ensure_applicant_refuses_a_bad_language_and_writes_nothing():
    person = account_id()

    with pytest.raises(ValidationFailedError):
        public.ensure_applicant(account_id=person, language="xx")

    assert (Profile.objects.count(), RoleGrant.objects.count(), events()) == (0, 0, [])


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_of_one_account_make_one_profile_and_one_event():
    person = account_id()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def sign_up() -> None:
        try:
            barrier.wait()
            results.append(public.ensure_applicant(account_id=person, first_name="Racer"))
        except Exception as exc:  # collected and asserted below; a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {(r.roles, r.active_role) for r in results} == {(("applicant",), "applicant")}
    assert (Profile.objects.count(), RoleGrant.objects.count()) == (1, 1)
    assert [event[0] for event in events()] == ["user.created"]
