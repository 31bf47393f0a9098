"""Media through HTTP: upload, read, download, signed links and delete, with who may see which file decided by
the object it belongs to (a request, a verification application), and every kind of bad input refused cleanly."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing

from tests.factories import executor, media_bytes, media_file, person, signed_in
from ukbot.core.events.relay import drain
from ukbot.core.models import OutboxEvent
from ukbot.media import links
from ukbot.media.models import MediaFile
from ukbot.users import services as users

pytestmark = pytest.mark.django_db


def _upload(client, data: bytes, name: str = "photo.jpg", **extra):
    return client.post("/api/v1/media/upload", {"file": _named(data, name)}, format="multipart", **extra)


def _named(data: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()["data"]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.content
    return response.json()["error"]


def _stored() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- upload ------------------------------------------------------------------------------------------------------


def test_an_upload_is_typed_by_its_bytes_and_downloads_with_a_safe_unicode_name():
    owner = signed_in(person("applicant"))
    data = media_bytes("png")

    created = _ok(_upload(owner, data, name="../../../etc/счёт №5.jpg"), 201)

    assert (created["name"], created["content_type"], created["size"], created["scan_status"]) == (
        "счёт №5.jpg",
        "image/png",
        len(data),
        "not_scanned",
    )
    assert created["download_url"] == f"/api/v1/media/{created['id']}/download"
    downloaded = owner.get(created["download_url"], HTTP_ACCEPT="image/png")
    assert downloaded.status_code == 200 and _body(downloaded) == data
    assert downloaded["Content-Type"] == "image/png"
    # the name is the uploader's, the extension the bytes' (decision 0013)
    assert downloaded["Content-Disposition"] == "attachment; filename*=utf-8''%D1%81%D1%87%D1%91%D1%82%20%E2%84%965.png"
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    assert owner.get(f"/api/v1/media/{created['id']}").json()["data"]["sha256"] == created["sha256"]
    assert OutboxEvent.objects.filter(type="media.uploaded", subject=created["id"]).count() == 1


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 500, "holiday.jpg", 415, "MEDIA_TYPE_NOT_ALLOWED"),  # a renamed executable
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "scan.pdf", 415, "MEDIA_TYPE_NOT_ALLOWED"),
        (b"<html><script>alert(1)</script></html>", "page.png", 415, "MEDIA_TYPE_NOT_ALLOWED"),
        (b"", "empty.jpg", 400, "VALIDATION_ERROR"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(data, name, status, code):
    owner = signed_in(person("applicant"))

    error = _error(_upload(owner, data, name=name), status, code)

    assert error["details"][0]["field"] == "file"
    assert MediaFile.objects.count() == 0 and _stored() == []
    assert not OutboxEvent.objects.filter(type__startswith="media.").exists()


def test_an_image_over_its_limit_is_413_even_under_the_body_limit(settings):
    settings.MEDIA_MAX_IMAGE_BYTES = 2000
    owner = signed_in(person("applicant"))

    error = _error(_upload(owner, media_bytes("jpeg", size=2001)), 413, "PAYLOAD_TOO_LARGE")

    assert error["details"] == [{"field": "file", "message": error["message"]}]
    assert MediaFile.objects.count() == 0 and _stored() == []
    assert _upload(owner, media_bytes("pdf", size=2001), name="a.pdf").status_code == 201  # another type's limit


def test_the_upload_path_takes_bodies_above_the_general_limit_and_refuses_above_its_own(settings):
    settings.MAX_REQUEST_BODY_BYTES = 4096
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    settings.MAX_REQUEST_BODY_BYTES_BY_PATH = {"/api/v1/media/upload": 64 * 1024}
    owner = signed_in(person("applicant"))

    accepted = _upload(owner, media_bytes("jpeg", size=20_000))
    replayable = _upload(owner, media_bytes("jpeg", size=20_000), HTTP_IDEMPOTENCY_KEY="upload-1")
    refused = _upload(owner, media_bytes("jpeg", size=70_000))
    elsewhere = owner.post("/api/v1/media/signed-url", {"media_id": "x" * 5000}, format="json")

    assert accepted.status_code == 201 and replayable.status_code == 201, replayable.content
    _error(refused, 413, "PAYLOAD_TOO_LARGE")
    _error(elsewhere, 413, "PAYLOAD_TOO_LARGE")
    assert MediaFile.objects.count() == 2


def test_a_truncated_multipart_body_is_refused_and_nothing_is_stored():
    owner = signed_in(person("applicant"))
    boundary = "ukbotboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + media_bytes("jpeg", size=5000)  # the closing boundary never comes

    response = owner.generic(
        "POST", "/api/v1/media/upload", body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    error = _error(response, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == ["file"]
    assert MediaFile.objects.count() == 0 and _stored() == []


def test_uploading_needs_a_sign_in_and_a_file_field():
    assert signed_in(person("applicant")).post("/api/v1/media/upload", {}, format="multipart").status_code == 400
    anonymous = signed_in(person("applicant"))
    anonymous.credentials()
    _error(_upload(anonymous, media_bytes("jpeg")), 401, "NOT_AUTHENTICATED")


def test_identical_uploads_share_one_stored_copy():
    first, second = signed_in(person("applicant")), signed_in(person("applicant"))
    data = media_bytes("mp4")

    one, two = _ok(_upload(first, data, name="a.mp4"), 201), _ok(_upload(second, data, name="b.mp4"), 201)

    assert one["id"] != two["id"] and one["sha256"] == two["sha256"] and len(_stored()) == 1
    _error(first.get(f"/api/v1/media/{two['id']}"), 404, "NOT_FOUND")  # sharing bytes shares no access


# --- who may read ------------------------------------------------------------------------------------------------


@pytest.fixture
def request_world():
    yard = users.yard_create(name=f"ЖК media {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="ул. Навои, 1")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="7").pk
    people = {}
    for name in ("applicant", "co_resident"):
        account = person("applicant")
        link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation="owner")
        users.apartment_link_approve(link_id=link.pk, reviewer_id=1)
        people[name] = account
    people["executor"] = executor("plumber")
    people["other_executor"] = executor("plumber")
    people["manager"] = person("manager")
    people["stranger"] = person("applicant")
    clients = {name: signed_in(account) for name, account in people.items()}
    number = _ok(
        clients["applicant"].post("/api/v1/requests", {"category": "plumbing", "description": "Leak"}, format="json"),
        201,
    )["number"]
    assign = {"executor_id": people["executor"]}
    _ok(clients["manager"].post(f"/api/v1/requests/{number}/assign", assign, format="json"))
    return people, clients, number


def test_files_of_a_request_are_read_by_whoever_may_see_the_request(request_world):
    people, clients, number = request_world
    photo = media_file(people["applicant"], "jpeg", name="leak.jpg")
    attached = clients["applicant"].post(
        f"/api/v1/requests/{number}/attachments", {"media_ids": [photo], "kind": "before"}, format="json"
    )
    assert attached.status_code in (200, 201), attached.content

    for name in ("applicant", "co_resident", "executor", "manager"):
        assert clients[name].get(f"/api/v1/media/{photo}/download").status_code == 200, name
    for name in ("stranger", "other_executor"):
        _error(clients[name].get(f"/api/v1/media/{photo}/download"), 404, "NOT_FOUND")
        _error(clients[name].get(f"/api/v1/media/{photo}"), 404, "NOT_FOUND")
        _error(clients[name].post("/api/v1/media/signed-url", {"media_id": photo}, format="json"), 404, "NOT_FOUND")
    info = MediaFile.objects.get(pk=photo)
    assert (info.attached_kind, info.attached_id) == ("request", number)


def test_an_unattached_file_is_read_by_its_owner_and_managers_only(request_world):
    people, clients, _number = request_world
    draft = media_file(people["applicant"])

    assert clients["applicant"].get(f"/api/v1/media/{draft}").status_code == 200
    assert clients["manager"].get(f"/api/v1/media/{draft}").status_code == 200
    for name in ("co_resident", "executor", "stranger"):
        _error(clients[name].get(f"/api/v1/media/{draft}"), 404, "NOT_FOUND")
    _error(clients["applicant"].get(f"/api/v1/media/{uuid.uuid4()}"), 404, "NOT_FOUND")


def test_attachments_refuse_other_peoples_unknown_and_infected_files(request_world):
    people, clients, number = request_world
    foreign = media_file(people["stranger"])
    infected = media_file(people["applicant"])
    MediaFile.objects.filter(pk=infected).update(scan_status="infected")
    url = f"/api/v1/requests/{number}/attachments"

    for media_id, reason in [
        (foreign, "does not exist or was not uploaded by you"),
        (str(uuid.uuid4()), "does not exist or was not uploaded by you"),
        (infected, "failed the virus scan"),
    ]:
        error = _error(
            clients["applicant"].post(url, {"media_ids": [media_id], "kind": "before"}, format="json"),
            400,
            "VALIDATION_ERROR",
        )
        assert error["details"] == [{"field": "media_ids", "message": f"File {media_id} {reason}."}]

    assert _ok(clients["applicant"].get(url)) == []
    assert MediaFile.objects.get(pk=foreign).attached_kind == ""  # nothing attached half-way


def test_completion_photos_must_be_the_executors_own(request_world):
    people, clients, number = request_world
    executor_client = clients["executor"]
    _ok(executor_client.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json"))
    someone_elses = media_file(people["applicant"])

    error = _error(
        executor_client.post(f"/api/v1/requests/{number}/complete", {"photos": [someone_elses]}, format="json"),
        400,
        "VALIDATION_ERROR",
    )
    assert [d["field"] for d in error["details"]] == ["photos"]
    own = media_file(people["executor"])
    done = executor_client.post(f"/api/v1/requests/{number}/complete", {"photos": [own]}, format="json")
    assert _ok(done)["status"] == "completed"
    assert clients["co_resident"].get(f"/api/v1/media/{own}/download").status_code == 200


def test_verification_documents_are_read_by_the_applicant_and_managers():
    applicant_id, stranger_id = person("applicant"), person("applicant")
    document = media_file(applicant_id, "pdf", name="паспорт.pdf")
    applicant, stranger = signed_in(applicant_id), signed_in(stranger_id)
    manager = signed_in(person("manager"))

    stolen = stranger.post(
        "/api/v1/verification", {"specialization": "plumber", "documents": [document]}, format="json"
    )
    _error(stolen, 400, "VALIDATION_ERROR")
    applied = applicant.post(
        "/api/v1/verification", {"specialization": "plumber", "documents": [document]}, format="json"
    )
    assert applied.status_code == 201, applied.content

    assert manager.get(f"/api/v1/media/{document}/download").status_code == 200
    assert applicant.get(f"/api/v1/media/{document}/download").status_code == 200
    _error(stranger.get(f"/api/v1/media/{document}/download"), 404, "NOT_FOUND")
    assert MediaFile.objects.get(pk=document).attached_kind == "verification"


# --- scan status ------------------------------------------------------------------------------------------------


def test_files_not_clean_are_not_served_or_signed():
    owner_id = person("applicant")
    owner = signed_in(owner_id)
    pending, infected, failed = media_file(owner_id), media_file(owner_id), media_file(owner_id)
    MediaFile.objects.filter(pk=pending).update(scan_status="pending")
    MediaFile.objects.filter(pk=failed).update(scan_status="error")
    MediaFile.objects.filter(pk=infected).update(scan_status="infected")

    _error(owner.get(f"/api/v1/media/{pending}/download"), 409, "MEDIA_NOT_READY")
    _error(owner.get(f"/api/v1/media/{failed}/download"), 409, "MEDIA_NOT_READY")
    _error(owner.get(f"/api/v1/media/{infected}/download"), 423, "MEDIA_INFECTED")
    _error(owner.post("/api/v1/media/signed-url", {"media_id": infected}, format="json"), 423, "MEDIA_INFECTED")
    token, _ = links.token_create(media_id=pending)
    _error(signed_in(owner_id).get(f"/api/v1/media/signed/{token}"), 409, "MEDIA_NOT_READY")


# --- signed links -----------------------------------------------------------------------------------------------


def test_a_signed_link_downloads_without_a_token_until_it_expires(monkeypatch):
    owner_id = person("applicant")
    data = media_bytes("pdf")
    media_id = media_file(owner_id, content=data, name="акт.pdf")

    answer = _ok(
        signed_in(owner_id).post("/api/v1/media/signed-url", {"media_id": media_id, "ttl": 60}, format="json"), 201
    )
    assert answer["url"].startswith("http://testserver/api/v1/media/signed/")
    path = answer["url"].removeprefix("http://testserver")
    anonymous = signed_in(owner_id)
    anonymous.credentials()

    downloaded = anonymous.get(path)
    assert downloaded.status_code == 200 and _body(downloaded) == data
    assert downloaded["Content-Disposition"] == "attachment; filename*=utf-8''%D0%B0%D0%BA%D1%82.pdf"

    real_time = links.time.time
    monkeypatch.setattr(links.time, "time", lambda: real_time() + 61)
    _error(anonymous.get(path), 410, "SIGNED_URL_EXPIRED")


def test_altered_or_foreign_signed_links_are_refused():
    owner_id = person("applicant")
    media_id = media_file(owner_id)
    token, _ = links.token_create(media_id=media_id, ttl=60)
    anonymous = signed_in(owner_id)
    anonymous.credentials()
    other_file = media_file(person("applicant"))
    _payload, _, signature = token.partition(":")
    forged_payload = signing.b64_encode(f'{{"m":"{other_file}","e":9999999999}}'.encode()).decode()
    wrong_salt = signing.dumps({"m": media_id, "e": 9999999999}, salt="another purpose")

    for bad in (token[:-2] + "xx", f"{forged_payload}:{signature}", wrong_salt, "garbage", token + "a"):
        _error(anonymous.get(f"/api/v1/media/signed/{bad}"), 403, "SIGNED_URL_INVALID")
    _error(
        signed_in(owner_id).post("/api/v1/media/signed-url", {"media_id": media_id, "ttl": 0}, format="json"),
        400,
        "VALIDATION_ERROR",
    )


def test_a_signed_link_to_a_deleted_file_is_not_found(django_capture_on_commit_callbacks):
    owner_id = person("applicant")
    owner = signed_in(owner_id)
    media_id = media_file(owner_id)
    token, _ = links.token_create(media_id=media_id, ttl=60)
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.delete(f"/api/v1/media/{media_id}").status_code == 204
    owner.credentials()
    _error(owner.get(f"/api/v1/media/signed/{token}"), 404, "NOT_FOUND")
    assert _stored() == []


# --- delete -------------------------------------------------------------------------------------------------------


def test_delete_by_owner_manager_and_stranger(request_world, django_capture_on_commit_callbacks):
    people, clients, number = request_world
    photo = media_file(people["applicant"])
    clients["applicant"].post(
        f"/api/v1/requests/{number}/attachments", {"media_ids": [photo], "kind": "before"}, format="json"
    )
    draft = media_file(people["applicant"])

    _error(clients["stranger"].delete(f"/api/v1/media/{draft}"), 404, "NOT_FOUND")  # not even visible
    _error(clients["co_resident"].delete(f"/api/v1/media/{photo}"), 403, "PERMISSION_DENIED")  # sees, may not delete
    with django_capture_on_commit_callbacks(execute=True):
        assert clients["applicant"].delete(f"/api/v1/media/{draft}").status_code == 204
        assert clients["manager"].delete(f"/api/v1/media/{photo}").status_code == 204
    _error(clients["applicant"].delete(f"/api/v1/media/{draft}"), 404, "NOT_FOUND")

    events = {e.subject: e.data for e in OutboxEvent.objects.filter(type="media.deleted")}
    assert events[photo] == {
        "media_id": photo,
        "owner_id": people["applicant"],
        "deleted_by": people["manager"],
        "attached_kind": "request",
        "attached_id": number,
    }
    assert events[draft]["deleted_by"] == people["applicant"]
    assert _stored() == []
    drain(max_seconds=10)  # requests drops its reference to the deleted file
    listed = clients["applicant"].get(f"/api/v1/requests/{number}/attachments").json()["data"]
    assert listed == []
