"""What `notifications` asks of `users`: languages, managers, residents, briefs, labels, and the events it hears."""

from __future__ import annotations

import pytest
from django.db import transaction

from ukbot.core.errors import ValidationFailedError
from ukbot.users import public, services
from ukbot.users.services import verification
from ukbot.users.tests.factories import account_id, apartment, events, profile

pytestmark = pytest.mark.django_db


def test_profile_language_is_the_profiles_or_the_company_default():
    assert public.profile_language(account_id=profile(language="uz").account_id) == "uz"
    assert public.profile_language(account_id=account_id()) == "ru"


def test_managers_and_people_with_a_role_leave_out_blocked_people():
    first, blocked = profile(roles=("manager",)), profile(roles=("manager", "executor"))
    worker = profile(roles=("executor",))
    services.profile_block(account_id=blocked.account_id)

    assert public.managers() == (first.account_id,)
    assert public.people_with_role(role="executor") == (worker.account_id,)  # any granted role, active or not
    assert public.people_with_role(role="admin") == ()


def test_residents_of_a_building_are_people_with_approved_links():
    flat, manager = apartment(), profile(roles=("manager",))
    approved, pending = profile(), profile()
    link = services.apartment_link_request(account_id=approved.account_id, apartment_id=flat.pk, relation="owner")
    services.apartment_link_approve(link_id=link.pk, reviewer_id=manager.account_id)
    services.apartment_link_request(account_id=pending.account_id, apartment_id=flat.pk, relation="tenant")

    assert public.residents_of_building(building_id=flat.entrance.building_id) == (approved.account_id,)
    assert public.residents_of_building(building_id=flat.entrance.building_id + 1000) == ()


def test_apartment_links_publish_requested_and_decided_with_ids_only():
    flat, manager, person = apartment(), profile(roles=("manager",)), profile()
    link = services.apartment_link_request(account_id=person.account_id, apartment_id=flat.pk, relation="tenant")
    services.apartment_link_reject(link_id=link.pk, reviewer_id=manager.account_id, reason="Not on the lease")

    assert events("user.apartment_link_requested") == [
        (
            "user.apartment_link_requested",
            str(person.account_id),
            {"account_id": person.account_id, "link_id": link.pk, "apartment_id": flat.pk, "relation": "tenant"},
        )
    ]
    assert [data for _, _, data in events("user.apartment_link_decided")] == [
        {
            "account_id": person.account_id,
            "link_id": link.pk,
            "apartment_id": flat.pk,
            "status": "rejected",
            "reviewed_by": manager.account_id,
        }
    ]
    assert public.apartment_link_brief(link_id=link.pk) == public.ApartmentLinkBrief(
        link_id=link.pk,
        account_id=person.account_id,
        apartment_id=flat.pk,
        apartment_number="12",
        building_id=flat.entrance.building_id,
        building_address="Amir Temur 1",
        relation="tenant",
        status="rejected",
        reason="Not on the lease",
    )
    assert public.apartment_link_brief(link_id=link.pk + 1000) is None


def test_a_refused_link_request_publishes_nothing():
    person = profile()

    with pytest.raises(ValidationFailedError), transaction.atomic():
        services.apartment_link_request(account_id=person.account_id, apartment_id=1, relation="cousin")

    assert events("user.apartment_link_requested") == []


def test_verification_publishes_submitted_and_rejected_and_the_brief_carries_the_reason():
    person, manager = profile(), profile(roles=("manager",))
    application = verification.verification_apply(account_id=person.account_id, specialization="plumber", documents=[])
    verification.verification_review(
        application_id=application.pk, reviewer_id=manager.account_id, approve=False, reason="Blurry scan"
    )

    assert [data for _, _, data in events("user.verification_submitted")] == [
        {"account_id": person.account_id, "application_id": application.pk, "specialization": "plumber"}
    ]
    assert [data for _, _, data in events("user.verification_rejected")] == [
        {
            "account_id": person.account_id,
            "application_id": application.pk,
            "specialization": "plumber",
            "reviewed_by": manager.account_id,
        }
    ]
    assert events("user.verified") == []
    brief = public.verification_brief(application_id=application.pk)
    assert (brief.account_id, brief.status, brief.reason) == (person.account_id, "rejected", "Blurry scan")


def test_an_approval_publishes_verified_not_rejected():
    person, manager = profile(), profile(roles=("manager",))
    application = verification.verification_apply(account_id=person.account_id, specialization="plumber", documents=[])

    verification.verification_review(application_id=application.pk, reviewer_id=manager.account_id, approve=True)

    assert len(events("user.verified")) == 1 and events("user.verification_rejected") == []


def test_labels_read_in_the_language_asked():
    assert public.label(field="specialization", value="plumber", language="uz") == "Santexnik"
    assert public.label(field="relation", value="family", language="en") == "family member"
    assert public.label(field="relation", value="alien", language="en") == "alien"
