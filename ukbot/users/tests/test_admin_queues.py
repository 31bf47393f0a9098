"""The admin's invitation list and verification queue, driven through the real admin pages."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from tests.factories import media_file
from ukbot.core.models import OutboxEvent
from ukbot.users import selectors, services
from ukbot.users.models import Invitation, VerificationApplication
from ukbot.users.services import invitations, verification

pytestmark = pytest.mark.django_db


def _applicant(account_id: int) -> VerificationApplication:
    services.profile_create(account_id=account_id)
    services.role_grant(account_id=account_id, role="applicant", granted_by=None)
    return verification.verification_apply(
        account_id=account_id, specialization="elevator", documents=[media_file(account_id, "pdf")]
    )


def test_invitations_are_listed_without_codes_and_can_be_withdrawn(admin_client):
    issued = invitations.invitation_create(created_by=1, role="inspector", expires_in="7d", note="new inspector")

    page = admin_client.get("/admin/users/invitation/")
    assert page.status_code == 200
    assert issued.code not in page.content.decode()
    detail = admin_client.get(f"/admin/users/invitation/{issued.invitation.pk}/change/")
    assert detail.status_code == 200 and issued.code not in detail.content.decode()

    admin_client.post("/admin/users/invitation/", {"action": "revoke", ACTION_CHECKBOX_NAME: [issued.invitation.pk]})
    assert Invitation.objects.get(pk=issued.invitation.pk).revoked_at is not None


def test_the_verification_queue_approves_with_the_executor_role(admin_client):
    application = _applicant(910001)

    page = admin_client.get("/admin/users/verificationapplication/?status__exact=pending")
    assert page.status_code == 200
    assert admin_client.get(f"/admin/users/verificationapplication/{application.pk}/change/").status_code == 200

    admin_client.post(
        "/admin/users/verificationapplication/", {"action": "approve", ACTION_CHECKBOX_NAME: [application.pk]}
    )

    assert VerificationApplication.objects.get(pk=application.pk).status == "approved"
    assert "executor" in selectors.profile_roles(account_id=910001)
    assert OutboxEvent.objects.filter(type="user.verified", subject="910001").count() == 1


def test_rejecting_in_the_queue_asks_for_a_reason_first(admin_client):
    application = _applicant(910002)
    url = "/admin/users/verificationapplication/"

    asked = admin_client.post(url, {"action": "reject", ACTION_CHECKBOX_NAME: [application.pk]})
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert VerificationApplication.objects.get(pk=application.pk).status == "pending"

    admin_client.post(
        url, {"action": "reject", ACTION_CHECKBOX_NAME: [application.pk], "apply": "1", "reason": "Blurry photo."}
    )

    rejected = VerificationApplication.objects.get(pk=application.pk)
    assert (rejected.status, rejected.reason) == ("rejected", "Blurry photo.")
    assert "executor" not in selectors.profile_roles(account_id=910002)
