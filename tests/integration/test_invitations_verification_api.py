"""Staff invitations and executor verification through HTTP with real tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import media_file, person, signed_in
from ukbot.core.models import OutboxEvent
from ukbot.users import public as users_public
from ukbot.users.models import Invitation, VerificationApplication
from ukbot.users.services import invitations

pytestmark = pytest.mark.django_db


def _invite(client, **body):
    return client.post("/api/v1/invitations", {"expires_in": "24h", **body}, format="json")


@pytest.mark.parametrize("role", ["admin", "manager", "executor", "inspector", "applicant"])
def test_an_invitation_grants_its_role_once(role):
    admin = signed_in(person("admin"))
    body = {"role": role, **({"specialization": "plumber", "level": 3} if role == "executor" else {})}
    created = _invite(admin, **body)
    assert created.status_code == 201, created.content
    code = created.json()["data"]["code"]
    assert created.json()["data"]["start_parameter"] == f"inv_{code}"
    newcomer = person(profile=False)  # a fresh account without a profile, as after a Telegram sign-in

    accepted = signed_in(newcomer).post("/api/v1/invitations/accept", {"code": code}, format="json")

    assert accepted.status_code == 200, accepted.content
    assert role in accepted.json()["data"]["roles"]
    assert role in users_public.access_profile(account_id=newcomer).roles
    assert users_public.access_profile(account_id=newcomer).status == "approved"  # the inviter vouches
    if role == "executor":
        assert admin.get(f"/api/v1/users/{newcomer}").json()["data"]["specializations"] == {"plumber": 3}
    listed = admin.get("/api/v1/invitations").json()["data"][0]
    assert (listed["state"], listed["used_by"]) == ("used", newcomer)
    assert "code" not in listed
    again = signed_in(person(profile=False)).post("/api/v1/invitations/accept", {"code": code}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "INVITATION_USED"


def test_codes_are_accepted_as_deep_links_and_as_typed():
    issued = invitations.invitation_create(created_by=1, role="inspector", expires_in="1h")
    typed = " " + "-".join([issued.code[:4], issued.code[4:8], issued.code[8:]]).lower() + " "

    response = signed_in(person(profile=False)).post("/api/v1/invitations/accept", {"code": typed}, format="json")
    assert response.status_code == 200

    other = invitations.invitation_create(created_by=1, role="inspector", expires_in="1h")
    response = signed_in(person(profile=False)).post(
        "/api/v1/invitations/accept", {"code": other.start_parameter}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("case", ["expired", "altered", "unknown", "withdrawn", "short"])
def test_bad_codes_are_refused_and_grant_nothing(case):
    issued = invitations.invitation_create(created_by=1, role="inspector", expires_in="1h")
    code = issued.code
    if case == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "altered":
        code = ("2" if code[0] != "2" else "3") + code[1:]
    elif case == "unknown":
        body = "ABCDEFGHJK"
        code = body + invitations._signature(body)  # well signed, but never issued
    elif case == "withdrawn":
        invitations.invitation_revoke(invitation_id=issued.invitation.pk)
    elif case == "short":
        code = code[:8]
    newcomer = person(profile=False)

    response = signed_in(newcomer).post("/api/v1/invitations/accept", {"code": code}, format="json")

    expected = {
        "expired": (410, "INVITATION_EXPIRED"),
        "withdrawn": (409, "INVITATION_USED"),
    }.get(case, (400, "INVITATION_INVALID"))
    assert (response.status_code, response.json()["error"]["code"]) == expected
    assert users_public.access_profile(account_id=newcomer).roles == ()


def test_who_may_invite_whom():
    manager = signed_in(person("manager"))
    applicant = signed_in(person("applicant"))

    assert _invite(manager, role="executor", specialization="electrician").status_code == 201
    assert _invite(manager, role="manager").status_code == 403
    assert _invite(manager, role="admin").status_code == 403
    assert _invite(applicant, role="executor", specialization="electrician").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "executor"}, "specialization"),
        ({"role": "inspector", "specialization": "plumber"}, "specialization"),
        ({"role": "inspector", "expires_in": "30d"}, "expires_in"),
        ({"role": "inspector", "level": 9}, "level"),
        ({"role": "chief"}, "role"),
        ({"role": "inspector", "colour": "red"}, "colour"),
    ],
)
def test_bad_invitations_are_validation_errors(body, field):
    admin = signed_in(person("admin"))
    response = _invite(admin, **body)
    assert response.status_code == 400, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert Invitation.objects.count() == 0


def test_an_executor_applies_and_a_manager_approves():
    applicant_id = person("applicant")
    applicant = signed_in(applicant_id)
    documents = [media_file(applicant_id, "pdf"), media_file(applicant_id, "jpeg")]

    applied = applicant.post(
        "/api/v1/verification", {"specialization": "electrician", "documents": documents[:1]}, format="json"
    )
    assert applied.status_code == 201, applied.content
    application_id = applied.json()["data"]["id"]
    twice = applicant.post("/api/v1/verification", {"specialization": "plumber"}, format="json")
    assert twice.status_code == 409
    added = applicant.post(
        f"/api/v1/verification/{application_id}/documents", {"documents": documents[1:]}, format="json"
    )
    assert added.json()["data"]["documents"] == documents
    assert applicant.get(f"/api/v1/verification/{application_id}/status").json()["data"]["status"] == "pending"
    assert signed_in(person("applicant")).get(f"/api/v1/verification/{application_id}/status").status_code == 403

    manager = signed_in(person("manager"))
    assert [a["id"] for a in manager.get("/api/v1/verification", {"status": "pending"}).json()["data"]] == [
        application_id
    ]
    approved = manager.post(f"/api/v1/users/{applicant_id}/verify", {"decision": "approve", "level": 2}, format="json")

    assert approved.status_code == 200, approved.content
    assert approved.json()["data"]["status"] == "approved"
    assert "executor" in users_public.access_profile(account_id=applicant_id).roles
    assert users_public.access_profile(account_id=applicant_id).status == "approved"  # now a verified executor
    assert manager.get(f"/api/v1/users/{applicant_id}").json()["data"]["specializations"] == {"electrician": 2}
    event = OutboxEvent.objects.get(type="user.verified")
    assert (event.data["account_id"], event.data["specialization"]) == (applicant_id, "electrician")
    again = manager.post(f"/api/v1/users/{applicant_id}/verify", {"decision": "approve"}, format="json")
    assert again.status_code == 404  # nothing pending any more


def test_a_rejection_needs_a_reason_and_grants_nothing():
    applicant_id = person("applicant")
    signed_in(applicant_id).post("/api/v1/verification", {"specialization": "plumber"}, format="json")
    manager = signed_in(person("manager"))

    silent = manager.post(f"/api/v1/users/{applicant_id}/verify", {"decision": "reject"}, format="json")
    assert silent.status_code == 400
    assert VerificationApplication.objects.get(account_id=applicant_id).status == "pending"

    rejected = manager.post(
        f"/api/v1/users/{applicant_id}/verify", {"decision": "reject", "reason": "Unreadable scan."}, format="json"
    )
    assert rejected.json()["data"]["status"] == "rejected"
    assert rejected.json()["data"]["reason"] == "Unreadable scan."
    assert "executor" not in users_public.access_profile(account_id=applicant_id).roles
    assert not OutboxEvent.objects.filter(type="user.verified").exists()


def test_only_reviewers_may_verify_and_documents_must_be_media_ids():
    applicant_id = person("applicant")
    applicant = signed_in(applicant_id)
    bad = applicant.post(
        "/api/v1/verification", {"specialization": "plumber", "documents": ["passport.jpg"]}, format="json"
    )
    assert bad.status_code == 400
    applicant.post("/api/v1/verification", {"specialization": "plumber"}, format="json")

    response = signed_in(person("executor")).post(
        f"/api/v1/users/{applicant_id}/verify", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("query", ["status=", "specialization=", "status=nonsense"])
def test_a_blank_or_unknown_choice_in_the_verification_queue_is_refused(query):
    # the document lists the choices; blank was quietly taken as "any" (found by tests/contract)
    manager = signed_in(person("manager"))

    response = manager.get(f"/api/v1/verification?{query}")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == [query.split("=")[0]]
