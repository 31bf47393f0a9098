"""Residents' apartment links: request, review, removal and the primary link; the public doors; every refusal."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.users import public, services
from ukbot.users.models import ApartmentLink, ApartmentLinkStatus, Entrance, RoleGrant
from ukbot.users.tests.factories import apartment, events, profile

pytestmark = pytest.mark.django_db


def _links(account_id: int) -> list[tuple[int, str, bool]]:
    """``(apartment id, status, primary)`` of a person's links, oldest first."""
    return list(
        ApartmentLink.objects.filter(profile_id=account_id)
        .order_by("created_at", "pk")
        .values_list("apartment_id", "status", "is_primary")
    )


def _apartment_updates(account_id: int) -> int:
    return sum(
        1
        for _, subject, data in events("user.profile_updated")
        if subject == str(account_id) and data["changed_fields"] == ["apartments"]
    )


# --- requesting ------------------------------------------------------------------------------------------------


def test_a_request_is_pending_and_the_first_link_becomes_primary():
    person, flat = profile(), apartment()

    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    link.refresh_from_db()
    assert (link.status, link.is_primary, link.relation, link.document_media_id) == ("pending", True, "owner", None)
    assert (link.reviewed_by, link.reviewed_at, link.reason) == (None, None, "")
    assert events("user.profile_updated") == [
        (
            "user.profile_updated",
            str(person.account_id),
            {
                "account_id": person.account_id,
                "changed_fields": ["apartments"],
                "status": "pending",
                "active_role": None,
            },
        )
    ]


def test_a_second_link_is_not_primary_unless_asked():
    person, first, second, third = profile(), apartment(), apartment(), apartment()
    services.apartment_link_request(account_id=person.account_id, apartment_id=first.pk, relation="owner")
    services.apartment_link_request(account_id=person.account_id, apartment_id=second.pk, relation="tenant")

    services.apartment_link_request(
        account_id=person.account_id, apartment_id=third.pk, relation="family", primary=True
    )

    assert _links(person.account_id) == [
        (first.pk, "pending", False),
        (second.pk, "pending", False),
        (third.pk, "pending", True),
    ]


def test_a_second_request_for_the_same_apartment_is_a_conflict_and_writes_nothing():
    person, flat = profile(), apartment()
    services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    with pytest.raises(ConflictError):
        services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="tenant")

    assert _links(person.account_id) == [(flat.pk, "pending", True)]
    assert _apartment_updates(person.account_id) == 1


def test_an_approved_link_also_blocks_a_new_request_but_a_rejected_one_does_not():
    person, manager = profile(), profile(roles=("manager",))
    flat = apartment()
    approved = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")
    services.apartment_link_approve(link_id=approved.pk, reviewer_id=manager.account_id)
    with pytest.raises(ConflictError):
        services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    other = profile()
    rejected = services.apartment_link_request(account_id=other.account_id, apartment_id=flat.pk, relation="tenant")
    services.apartment_link_reject(link_id=rejected.pk, reviewer_id=manager.account_id, reason="Not on the lease.")
    again = services.apartment_link_request(account_id=other.account_id, apartment_id=flat.pk, relation="tenant")

    assert _links(other.account_id) == [(flat.pk, "rejected", False), (flat.pk, "pending", True)]
    assert again.is_primary


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"relation": "landlord"}, "relation"),
        ({"relation": None}, "relation"),
        ({"primary": "yes"}, "primary"),
        ({"apartment_id": 0}, "apartment_id"),
        ({"apartment_id": "1"}, "apartment_id"),
        ({"document_media_id": "not-a-uuid"}, "document_media_id"),
        ({"account_id": -1}, "account_id"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(changes, field):
    person, flat = profile(), apartment()
    arguments = {"account_id": person.account_id, "apartment_id": flat.pk, "relation": "owner", **changes}

    with pytest.raises(ValidationFailedError) as refused:
        services.apartment_link_request(**arguments)

    assert [d.field for d in refused.value.details] == [field]
    assert not ApartmentLink.objects.exists()
    assert events("user.profile_updated") == []


def test_an_unknown_apartment_or_person_is_not_found():
    person, flat = profile(), apartment()
    with pytest.raises(NotFoundError, match="No such apartment"):
        services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk + 1000, relation="owner")
    with pytest.raises(NotFoundError, match="has no profile"):
        services.apartment_link_request(account_id=person.account_id + 1000, apartment_id=flat.pk, relation="owner")
    assert not ApartmentLink.objects.exists()


# --- review ----------------------------------------------------------------------------------------------------


def test_approving_records_the_reviewer_and_makes_a_person_without_roles_an_applicant():
    person, manager, flat = profile(), profile(roles=("manager",)), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    approved = services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id)

    approved.refresh_from_db()
    assert (approved.status, approved.reviewed_by, approved.reviewed_at is not None) == (
        "approved",
        manager.account_id,
        True,
    )
    grant = RoleGrant.objects.get(profile_id=person.account_id)
    assert (grant.role, grant.granted_by) == ("applicant", manager.account_id)
    assert [
        (d["old_roles"], d["new_roles"])
        for _, _, d in events("user.role_changed")
        if d["account_id"] == person.account_id
    ] == [([], ["applicant"])]
    assert _apartment_updates(person.account_id) == 2  # requested, approved


def test_approving_leaves_the_roles_of_a_person_who_has_one():
    person, manager, flat = profile(roles=("executor",)), profile(roles=("manager",)), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="tenant")
    role_events = len(events("user.role_changed"))

    services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id)

    assert list(RoleGrant.objects.filter(profile_id=person.account_id).values_list("role", flat=True)) == ["executor"]
    assert len(events("user.role_changed")) == role_events


def test_rejecting_needs_a_reason_and_records_it():
    person, manager, flat = profile(), profile(roles=("manager",)), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    for reason in ("", "   ", None):
        with pytest.raises(ValidationFailedError) as refused:
            services.apartment_link_reject(link_id=link.pk, reviewer_id=manager.account_id, reason=reason)
        assert [d.field for d in refused.value.details] == ["reason"]
    for reason in ("x" * 2001, "a\x00b"):
        with pytest.raises(ValidationFailedError):
            services.apartment_link_reject(link_id=link.pk, reviewer_id=manager.account_id, reason=reason)
    assert _links(person.account_id) == [(flat.pk, "pending", True)]
    assert _apartment_updates(person.account_id) == 1

    rejected = services.apartment_link_reject(
        link_id=link.pk, reviewer_id=manager.account_id, reason="  The lease names someone else. "
    )

    rejected.refresh_from_db()
    assert (rejected.status, rejected.reason, rejected.is_primary, rejected.reviewed_by) == (
        "rejected",
        "The lease names someone else.",
        False,
        manager.account_id,
    )
    assert not RoleGrant.objects.filter(profile_id=person.account_id).exists()
    assert _apartment_updates(person.account_id) == 2


def test_rejecting_the_primary_link_passes_primary_to_the_oldest_approved_link():
    person, manager = profile(), profile(roles=("manager",))
    first, second, third = apartment(), apartment(), apartment()
    a = services.apartment_link_request(account_id=person.account_id, apartment_id=first.pk, relation="owner")
    services.apartment_link_request(account_id=person.account_id, apartment_id=second.pk, relation="owner")
    c = services.apartment_link_request(account_id=person.account_id, apartment_id=third.pk, relation="owner")
    services.apartment_link_approve(link_id=c.pk, reviewer_id=manager.account_id)

    services.apartment_link_reject(link_id=a.pk, reviewer_id=manager.account_id, reason="No.")

    assert _links(person.account_id) == [
        (first.pk, "rejected", False),
        (second.pk, "pending", False),
        (third.pk, "approved", True),
    ]


@pytest.mark.parametrize("first_decision", ["approve", "reject"])
@pytest.mark.parametrize("second_decision", ["approve", "reject"])
def test_a_reviewed_link_cannot_be_reviewed_again(first_decision, second_decision):
    person, manager, flat = profile(), profile(roles=("manager",)), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")
    decide = {
        "approve": lambda: services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id),
        "reject": lambda: services.apartment_link_reject(link_id=link.pk, reviewer_id=manager.account_id, reason="No."),
    }
    decide[first_decision]()
    before = _links(person.account_id), len(events())

    with pytest.raises(ConflictError, match="already reviewed"):
        decide[second_decision]()

    assert (_links(person.account_id), len(events())) == before


def test_reviewing_an_unknown_link_is_not_found_and_bad_ids_are_refused():
    manager = profile(roles=("manager",))
    with pytest.raises(NotFoundError):
        services.apartment_link_approve(link_id=999999, reviewer_id=manager.account_id)
    with pytest.raises(NotFoundError):
        services.apartment_link_reject(link_id=999999, reviewer_id=manager.account_id, reason="No.")
    with pytest.raises(ValidationFailedError):
        services.apartment_link_approve(link_id="1", reviewer_id=manager.account_id)
    with pytest.raises(ValidationFailedError):
        services.apartment_link_approve(link_id=1, reviewer_id=0)


# --- removal and the primary link --------------------------------------------------------------------------------


def test_removing_the_primary_link_makes_the_oldest_approved_link_primary():
    person, manager = profile(), profile(roles=("manager",))
    first, second, third = apartment(), apartment(), apartment()
    a = services.apartment_link_request(account_id=person.account_id, apartment_id=first.pk, relation="owner")
    services.apartment_link_request(account_id=person.account_id, apartment_id=second.pk, relation="tenant")
    c = services.apartment_link_request(account_id=person.account_id, apartment_id=third.pk, relation="tenant")
    services.apartment_link_approve(link_id=c.pk, reviewer_id=manager.account_id)

    services.apartment_link_remove(account_id=person.account_id, link_id=a.pk)

    assert _links(person.account_id) == [(second.pk, "pending", False), (third.pk, "approved", True)]
    assert _apartment_updates(person.account_id) == 5  # three requests, an approval, a removal


def test_nobody_removes_another_persons_link():
    person, stranger, flat = profile(), profile(), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    with pytest.raises(NotFoundError):
        services.apartment_link_remove(account_id=stranger.account_id, link_id=link.pk)
    with pytest.raises(NotFoundError):
        services.apartment_link_remove(account_id=person.account_id, link_id=link.pk + 1000)

    assert _links(person.account_id) == [(flat.pk, "pending", True)]


def test_setting_the_primary_link_moves_it_and_is_idempotent():
    person, first, second = profile(), apartment(), apartment()
    services.apartment_link_request(account_id=person.account_id, apartment_id=first.pk, relation="owner")
    b = services.apartment_link_request(account_id=person.account_id, apartment_id=second.pk, relation="owner")

    services.apartment_primary_set(account_id=person.account_id, link_id=b.pk)
    updates = _apartment_updates(person.account_id)
    services.apartment_primary_set(account_id=person.account_id, link_id=b.pk)

    assert _links(person.account_id) == [(first.pk, "pending", False), (second.pk, "pending", True)]
    assert _apartment_updates(person.account_id) == updates == 3


def test_a_rejected_link_cannot_be_primary():
    person, manager, first, second = profile(), profile(roles=("manager",)), apartment(), apartment()
    services.apartment_link_request(account_id=person.account_id, apartment_id=first.pk, relation="owner")
    b = services.apartment_link_request(account_id=person.account_id, apartment_id=second.pk, relation="owner")
    services.apartment_link_reject(link_id=b.pk, reviewer_id=manager.account_id, reason="No.")

    with pytest.raises(ConflictError):
        services.apartment_primary_set(account_id=person.account_id, link_id=b.pk)

    assert _links(person.account_id) == [(first.pk, "pending", True), (second.pk, "rejected", False)]


# --- the database holds the rules too ----------------------------------------------------------------------------


def test_the_database_refuses_a_second_live_link_a_second_primary_and_a_rejection_without_reason():
    person, flat, other = profile(), apartment(), apartment()
    ApartmentLink.objects.create(profile=person, apartment=flat, relation="owner", is_primary=True)

    for fields in (
        {"apartment": flat, "relation": "tenant"},
        {"apartment": other, "relation": "tenant", "is_primary": True},
        {"apartment": other, "relation": "tenant", "status": "rejected", "reviewed_at": "2026-01-01T00:00Z"},
        {"apartment": other, "relation": "cousin"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            ApartmentLink.objects.create(profile=person, **fields)


# --- the public doors ------------------------------------------------------------------------------------------


def test_apartments_of_and_co_residents_see_approved_links_only():
    owner, tenant, applicant, manager = profile(), profile(), profile(), profile(roles=("manager",))
    flat = apartment(number="12a")
    other = Entrance.objects.create(building=flat.entrance.building, number=2)
    second = services.apartment_create(entrance_id=other.pk, number="40")
    for person, place, relation in ((owner, flat, "owner"), (tenant, flat, "tenant"), (owner, second, "owner")):
        link = services.apartment_link_request(account_id=person.account_id, apartment_id=place.pk, relation=relation)
        services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id)
    services.apartment_link_request(account_id=applicant.account_id, apartment_id=flat.pk, relation="family")

    refs = public.apartments_of(account_id=owner.account_id)

    building = flat.entrance.building
    assert refs == (
        public.ApartmentRef(
            apartment_id=flat.pk,
            number="12a",
            entrance_number=1,
            building_id=building.pk,
            building_address=building.address,
            yard_id=building.yard_id,
            relation="owner",
            primary=True,
        ),
        public.ApartmentRef(
            apartment_id=second.pk,
            number="40",
            entrance_number=2,
            building_id=building.pk,
            building_address=building.address,
            yard_id=building.yard_id,
            relation="owner",
            primary=False,
        ),
    )
    assert public.co_residents(apartment_id=flat.pk) == tuple(sorted((owner.account_id, tenant.account_id)))
    assert public.apartments_of(account_id=applicant.account_id) == ()
    assert public.co_residents(apartment_id=999999) == ()
    with pytest.raises(AttributeError):
        refs[0].primary = False  # frozen


# --- the identity document ---------------------------------------------------------------------------------------


def test_a_document_is_attached_to_a_pending_link_only():
    # (attaching a real upload is covered through the API in tests/integration/test_apartment_links_api.py)
    person, manager, flat = profile(), profile(roles=("manager",)), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    for bad in (None, "not-a-uuid", uuid.uuid4()):  # missing, malformed, and a file nobody uploaded
        with pytest.raises(ValidationFailedError) as refused:
            services.apartment_link_document_set(account_id=person.account_id, link_id=link.pk, document_media_id=bad)
        assert refused.value.details[0].field == "document_media_id"
    with pytest.raises(NotFoundError):
        services.apartment_link_document_set(
            account_id=manager.account_id, link_id=link.pk, document_media_id=uuid.uuid4()
        )
    services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id)
    with pytest.raises(ConflictError):
        services.apartment_link_document_set(
            account_id=person.account_id, link_id=link.pk, document_media_id=uuid.uuid4()
        )
    link.refresh_from_db()
    assert link.document_media_id is None
    assert _apartment_updates(person.account_id) == 2  # the request and the approval; no document change


# --- concurrency -------------------------------------------------------------------------------------------------


def _race(*calls) -> tuple[list, list]:
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call) -> None:
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # collected and asserted by the caller; a thread's exception would be lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_apartment_make_one_link():
    person, flat = profile(), apartment()

    results, errors = _race(
        *[
            lambda: services.apartment_link_request(
                account_id=person.account_id, apartment_id=flat.pk, relation="owner"
            )
            for _ in range(4)
        ]
    )

    assert (len(results), [type(e) for e in errors]) == (1, [ConflictError] * 3)
    assert _links(person.account_id) == [(flat.pk, "pending", True)]
    assert _apartment_updates(person.account_id) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_approval_and_rejection_leave_one_decision():
    person, manager, flat = profile(), profile(roles=("manager",)), apartment()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")

    results, errors = _race(
        lambda: services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id),
        lambda: services.apartment_link_reject(link_id=link.pk, reviewer_id=manager.account_id, reason="No."),
    )

    assert (len(results), [type(e) for e in errors]) == (1, [ConflictError])
    link.refresh_from_db()
    assert link.status == results[0].status
    assert _apartment_updates(person.account_id) == 2
    assert RoleGrant.objects.filter(profile_id=person.account_id).exists() == (link.status == "approved")


def _approved_apartment_ids_oracle(account_id: int) -> tuple[int, ...]:
    """Test oracle for ``public.apartment_ids_of``: the same answer built through the ORM (approved links only,
    primary first, then oldest first). The app itself reads it through the written-out query."""
    return tuple(
        ApartmentLink.objects.filter(profile_id=account_id, status=ApartmentLinkStatus.APPROVED)
        .order_by("-is_primary", "created_at", "pk")
        .values_list("apartment_id", flat=True)
    )


def test_apartment_ids_of_matches_the_orm_oracle():
    # given approved links (one primary, added last), a pending and a rejected one, and another person's link
    person, other, manager = profile(), profile(), profile(roles=("manager",))
    flats = [apartment() for _ in range(5)]
    links = [
        services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="owner")
        for flat in flats[:4]
    ]
    for link in (links[0], links[1], links[3]):
        services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id)
    services.apartment_link_reject(link_id=links[2].pk, reviewer_id=manager.account_id, reason="No lease.")
    services.apartment_primary_set(account_id=person.account_id, link_id=links[3].pk)
    theirs = services.apartment_link_request(account_id=other.account_id, apartment_id=flats[4].pk, relation="owner")
    services.apartment_link_approve(link_id=theirs.pk, reviewer_id=manager.account_id)

    # then the written-out query answers what the ORM oracle does: approved only, primary first, then oldest
    for someone in (person, other, profile()):
        expected = _approved_apartment_ids_oracle(someone.account_id)
        assert public.apartment_ids_of(account_id=someone.account_id) == expected
    assert public.apartment_ids_of(account_id=person.account_id) == (flats[3].pk, flats[0].pk, flats[1].pk)
