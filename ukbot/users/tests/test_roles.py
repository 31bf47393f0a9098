"""Roles: the scope matrix, grants, revokes and the active role, with user.role_changed exactly when they change."""

from __future__ import annotations

import pytest

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.users import services
from ukbot.users.models import Profile, RoleGrant
from ukbot.users.roles import ALL_SCOPES, ROLE_SCOPES, Role, ranked, scopes_for
from ukbot.users.tests.factories import account_id, events, profile

# --- the matrix ------------------------------------------------------------------------------------------------


def test_admin_carries_every_scope():
    assert scopes_for("admin") == tuple(sorted(ALL_SCOPES))


def test_each_role_carries_its_documented_scopes():
    assert {role: scopes_for(role) for role in Role.values} == {
        "admin": tuple(sorted(ALL_SCOPES)),
        "manager": (
            "admin:notifications",
            "admin:requests",
            "admin:shifts",
            "read:analytics",
            "read:places",
            "read:requests",
            "read:shifts",
            "read:users",
            "write:media",
            "write:requests",
            "write:shifts",
            "write:users",
        ),
        "executor": (
            "read:places",
            "read:requests",
            "read:shifts",
            "write:media",
            "write:requests",
            "write:shifts",
        ),
        "inspector": ("read:places", "read:requests", "write:media", "write:requests"),
        "applicant": ("read:places", "read:requests", "write:media", "write:requests"),
    }


def test_every_scope_is_listed_and_every_role_has_an_entry():
    assert set(ROLE_SCOPES) == set(Role.values)
    assert set().union(*ROLE_SCOPES.values()) == ALL_SCOPES


def test_no_role_and_an_unknown_role_carry_no_scopes():
    assert (scopes_for(None), scopes_for(""), scopes_for("root")) == ((), (), ())


def test_ranked_orders_from_most_to_least_privileged():
    assert ranked({"applicant", "executor", "admin", "nobody"}) == ["admin", "executor", "applicant"]


# --- grants ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_first_grant_becomes_the_active_role_and_publishes_role_changed():
    person = profile()
    granter = account_id()

    grant = services.role_grant(account_id=person.account_id, role="executor", granted_by=granter)

    assert (grant.profile_id, grant.role, grant.granted_by) == (person.account_id, "executor", granter)
    assert Profile.objects.get(account_id=person.account_id).active_role == "executor"
    assert events("user.role_changed") == [
        (
            "user.role_changed",
            str(person.account_id),
            {
                "account_id": person.account_id,
                "old_roles": [],
                "new_roles": ["executor"],
                "active_role": "executor",
                "changed_by": granter,
            },
        )
    ]


@pytest.mark.django_db
def test_a_second_grant_keeps_the_active_role():
    person = profile(roles=("applicant",))

    services.role_grant(account_id=person.account_id, role="executor", granted_by=None)

    assert Profile.objects.get(account_id=person.account_id).active_role == "applicant"
    assert [(d["old_roles"], d["new_roles"]) for _, _, d in events("user.role_changed")] == [
        ([], ["applicant"]),
        (["applicant"], ["applicant", "executor"]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["superuser", "", None, "Admin"])
def test_granting_an_unknown_role_is_refused_and_writes_nothing(role):
    person = profile()

    with pytest.raises(ValidationFailedError) as caught:
        services.role_grant(account_id=person.account_id, role=role, granted_by=None)

    assert [detail.field for detail in caught.value.details] == ["role"]
    assert RoleGrant.objects.count() == 0
    assert events("user.role_changed") == []


@pytest.mark.django_db
def test_granting_a_role_twice_is_a_conflict():
    person = profile(roles=("manager",))

    with pytest.raises(ConflictError) as caught:
        services.role_grant(account_id=person.account_id, role="manager", granted_by=None)

    assert str(caught.value.message) == "The person already has the role manager."
    assert RoleGrant.objects.filter(profile_id=person.account_id).count() == 1
    assert len(events("user.role_changed")) == 1


@pytest.mark.django_db
def test_granting_to_an_account_without_profile_is_not_found():
    with pytest.raises(NotFoundError):
        services.role_grant(account_id=account_id(), role="admin", granted_by=None)

    assert RoleGrant.objects.count() == 0


# --- revokes ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revoking_the_active_role_falls_back_to_the_most_privileged_remaining_one():
    person = profile(roles=("executor", "applicant", "manager"))
    services.active_role_switch(account_id=person.account_id, role="executor")
    revoker = account_id()

    services.role_revoke(account_id=person.account_id, role="executor", revoked_by=revoker)

    assert Profile.objects.get(account_id=person.account_id).active_role == "manager"
    assert sorted(RoleGrant.objects.values_list("role", flat=True)) == ["applicant", "manager"]
    assert events("user.role_changed")[-1][2] == {
        "account_id": person.account_id,
        "old_roles": ["applicant", "executor", "manager"],
        "new_roles": ["applicant", "manager"],
        "active_role": "manager",
        "changed_by": revoker,
    }


@pytest.mark.django_db
def test_revoking_the_last_role_leaves_no_active_role():
    person = profile(roles=("applicant",))

    services.role_revoke(account_id=person.account_id, role="applicant", revoked_by=None)

    assert Profile.objects.get(account_id=person.account_id).active_role == ""
    assert events("user.role_changed")[-1][2]["active_role"] is None


@pytest.mark.django_db
def test_revoking_a_role_not_held_is_not_found_and_publishes_nothing():
    person = profile(roles=("applicant",))

    with pytest.raises(NotFoundError) as caught:
        services.role_revoke(account_id=person.account_id, role="admin", revoked_by=None)

    assert str(caught.value.message) == "The person does not have the role admin."
    assert len(events("user.role_changed")) == 1


@pytest.mark.django_db
def test_revoking_an_unknown_role_is_a_validation_error():
    person = profile(roles=("applicant",))

    with pytest.raises(ValidationFailedError):
        services.role_revoke(account_id=person.account_id, role="root", revoked_by=None)

    assert list(RoleGrant.objects.values_list("role", flat=True)) == ["applicant"]


# --- the active role -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_switching_to_a_granted_role_publishes_profile_updated():
    person = profile(roles=("applicant", "executor"))

    services.active_role_switch(account_id=person.account_id, role="executor")

    assert Profile.objects.get(account_id=person.account_id).active_role == "executor"
    assert events("user.profile_updated") == [
        (
            "user.profile_updated",
            str(person.account_id),
            {
                "account_id": person.account_id,
                "changed_fields": ["active_role"],
                "status": "pending",
                "active_role": "executor",
            },
        )
    ]
    assert len(events("user.role_changed")) == 2  # the two grants, not the switch


@pytest.mark.django_db
def test_switching_to_the_active_role_changes_nothing():
    person = profile(roles=("applicant",))

    services.active_role_switch(account_id=person.account_id, role="applicant")

    assert events("user.profile_updated") == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "pilot"])
def test_switching_to_a_role_not_granted_is_refused(role):
    person = profile(roles=("applicant",))

    with pytest.raises(ValidationFailedError) as caught:
        services.active_role_switch(account_id=person.account_id, role=role)

    assert [detail.field for detail in caught.value.details] == ["role"]
    assert Profile.objects.get(account_id=person.account_id).active_role == "applicant"
    assert events("user.profile_updated") == []
