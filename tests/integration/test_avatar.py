"""An avatar is the person's own image (issue 15): set through the users API, checked through media's public API."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import media_file, person, signed_in
from ukbot.media.models import MediaFile

pytestmark = pytest.mark.django_db


def _refused(response) -> str:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    [detail] = error["details"]
    assert detail["field"] == "avatar_media_id"
    return detail["message"]


def _avatar(client) -> str | None:
    return client.get("/api/v1/users/me").json()["data"]["avatar_media_id"]


def test_a_person_sets_their_own_image_but_not_someone_elses_file_or_a_document():
    alice_id, bob_id = person("applicant"), person("applicant")
    alice, bob = signed_in(alice_id), signed_in(bob_id)
    alices_photo, bobs_photo = media_file(alice_id, "jpeg"), media_file(bob_id, "png")
    alices_pdf = media_file(alice_id, "pdf")

    not_own = "The avatar must be a file this person uploaded."
    assert _refused(alice.patch("/api/v1/users/me", {"avatar_media_id": bobs_photo}, format="json")) == not_own
    assert _refused(alice.patch("/api/v1/users/me", {"avatar_media_id": str(uuid.uuid4())}, format="json")) == not_own
    assert _refused(alice.patch("/api/v1/users/me", {"avatar_media_id": alices_pdf}, format="json")) == (
        "The avatar must be an image (JPEG, PNG, WebP or HEIC)."
    )
    assert _refused(bob.patch("/api/v1/users/me", {"avatar_media_id": alices_photo}, format="json")) == not_own
    assert (_avatar(alice), _avatar(bob)) == (None, None)

    assert alice.patch("/api/v1/users/me", {"avatar_media_id": alices_photo}, format="json").status_code == 200
    assert bob.patch("/api/v1/users/me", {"avatar_media_id": bobs_photo}, format="json").status_code == 200
    assert (_avatar(alice), _avatar(bob)) == (alices_photo, bobs_photo)
    # an unrelated change keeps the avatar without checking it again; clearing it needs no file
    assert alice.patch("/api/v1/users/me", {"bio": "hi"}, format="json").status_code == 200
    assert alice.patch("/api/v1/users/me", {"avatar_media_id": None}, format="json").status_code == 200
    assert _avatar(alice) is None


def test_a_manager_cannot_give_someone_a_file_that_is_not_theirs():
    manager, resident = signed_in(person("admin")), person("applicant")
    managers_photo, residents_photo = media_file(person("manager"), "jpeg"), media_file(resident, "jpeg")

    refused = manager.patch(f"/api/v1/users/{resident}", {"avatar_media_id": managers_photo}, format="json")

    assert _refused(refused) == "The avatar must be a file this person uploaded."
    accepted = manager.patch(f"/api/v1/users/{resident}", {"avatar_media_id": residents_photo}, format="json")
    assert accepted.status_code == 200, accepted.content


def test_a_deleted_or_infected_file_is_no_avatar():
    owner_id = person("applicant")
    client = signed_in(owner_id)
    deleted, infected = media_file(owner_id, "jpeg"), media_file(owner_id, "jpeg")
    assert client.delete(f"/api/v1/media/{deleted}").status_code == 204
    MediaFile.objects.filter(pk=infected).update(scan_status="infected")

    assert _refused(client.patch("/api/v1/users/me", {"avatar_media_id": deleted}, format="json")) == (
        "The avatar must be a file this person uploaded."
    )
    assert _refused(client.patch("/api/v1/users/me", {"avatar_media_id": infected}, format="json")) == (
        "The avatar file failed the virus scan."
    )
