"""Uploads through the service: typed by bytes, size-limited per type, stored once per content, nothing half-way."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import media_bytes, media_file
from ukbot.core.errors import AppError, ValidationFailedError
from ukbot.core.models import OutboxEvent
from ukbot.media import public, services, storage
from ukbot.media.models import MediaFile, ScanStatus

pytestmark = pytest.mark.django_db
OWNER, OTHER = 700001, 700002


def _upload(data: bytes, name: str = "photo.jpg", owner: int = OWNER) -> MediaFile:
    return services.media_upload(owner_id=owner, file=io.BytesIO(data), name=name, size=len(data))


def _stored() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.jpg", "evil.jpg"),
        ("/absolute/path/ok.png", "ok.png"),
        ("..", "file.jpg"),
        ("", "file.jpg"),
        (None, "file.jpg"),
        ("счёт за воду №5.pdf", "счёт за воду №5.pdf"),
        ("o\u0308.jpg", "ö.jpg"),  # normalised to NFC
        ("bad\x00name\r\n.jpg", "badname.jpg"),
        ("rtl\u202egpj.exe", "rtlgpj.exe"),  # the right-to-left override trick loses its override
        ("  .hidden.jpg  ", "hidden.jpg"),
    ],
)
def test_names_are_sanitised_keeping_unicode(given, expected):
    assert services.sanitize_name(given, content_type="image/jpeg") == expected


def test_long_names_are_cut_keeping_the_extension():
    name = services.sanitize_name("я" * 500 + ".jpeg")
    assert len(name) == 200 and name.endswith("я.jpeg")


def test_an_upload_records_type_size_checksum_and_status_and_publishes_uploaded():
    data = media_bytes("png")

    row = _upload(data, name="../../схема.jpg")  # a PNG named .jpg is a PNG

    assert (row.content_type, row.size, row.original_name, row.scan_status) == (
        "image/png",
        len(data),
        "схема.jpg",
        "not_scanned",
    )
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.storage_key == f"blobs/{row.sha256[:2]}/{row.sha256[2:4]}/{row.sha256}"
    assert _stored() == [Path(settings.MEDIA_ROOT) / row.storage_key]
    event = OutboxEvent.objects.get(type="media.uploaded")
    assert event.data == {
        "media_id": str(row.pk),
        "owner_id": OWNER,
        "content_type": "image/png",
        "size": len(data),
        "sha256": row.sha256,
        "scan_status": "not_scanned",
    }


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "VALIDATION_ERROR"),
        (b"MZ\x90\x00" + b"\x00" * 200, "MEDIA_TYPE_NOT_ALLOWED"),  # an executable named photo.jpg
        (b"\x7fELF" + b"\x00" * 200, "MEDIA_TYPE_NOT_ALLOWED"),
    ],
)
def test_empty_and_disguised_files_are_refused_and_nothing_is_stored(data, code):
    with pytest.raises(AppError) as refused:
        _upload(data, name="photo.jpg")

    assert refused.value.code == code
    assert refused.value.details[0].field == "file"
    assert MediaFile.objects.count() == 0 and _stored() == []
    assert not OutboxEvent.objects.filter(type="media.uploaded").exists()


def test_size_limits_are_per_type(settings):
    settings.MEDIA_MAX_IMAGE_BYTES = 1000
    settings.MEDIA_MAX_PDF_BYTES = 3000

    with pytest.raises(AppError) as too_big:
        _upload(media_bytes("jpeg", size=1001))
    with pytest.raises(AppError) as lying:  # the declared size is small, the bytes are not
        services.media_upload(owner_id=OWNER, file=io.BytesIO(media_bytes("jpeg", size=5000)), name="a.jpg", size=10)

    assert too_big.value.code == lying.value.code == "PAYLOAD_TOO_LARGE"
    assert too_big.value.status == 413
    assert _upload(media_bytes("jpeg", size=1000)).size == 1000
    assert _upload(media_bytes("pdf", size=2500), name="a.pdf").content_type == "application/pdf"
    assert MediaFile.objects.count() == 2


def test_identical_files_are_stored_once_and_the_blob_goes_with_the_last_copy(django_capture_on_commit_callbacks):
    data = media_bytes("jpeg")
    first, second = _upload(data, owner=OWNER), _upload(data, name="again.jpg", owner=OTHER)

    assert first.pk != second.pk and first.storage_key == second.storage_key
    assert len(_stored()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.media_delete(media_id=first.pk, actor_id=OWNER, actor_kind="applicant")
    assert len(_stored()) == 1  # the other copy still needs the bytes
    with django_capture_on_commit_callbacks(execute=True):
        services.media_delete(media_id=second.pk, actor_id=OTHER, actor_kind="applicant")
    assert _stored() == []
    assert MediaFile.objects.filter(deleted_at__isnull=False).count() == 2  # rows stay, marked deleted
    assert sorted(e.data["deleted_by"] for e in OutboxEvent.objects.filter(type="media.deleted")) == [OWNER, OTHER]

    again = _upload(data)  # the same bytes once more: stored anew
    assert storage.exists(again.storage_key)


def test_only_the_owner_or_a_manager_deletes():
    row = _upload(media_bytes("jpeg"))

    with pytest.raises(AppError) as stranger:
        services.media_delete(media_id=row.pk, actor_id=OTHER, actor_kind="executor")
    services.media_delete(media_id=row.pk, actor_id=OTHER, actor_kind="manager")

    assert stranger.value.code == "PERMISSION_DENIED"
    with pytest.raises(AppError) as twice:
        services.media_delete(media_id=row.pk, actor_id=OWNER, actor_kind="applicant")
    assert twice.value.code == "NOT_FOUND"


def test_files_usable_names_unknown_foreign_infected_and_attached_elsewhere_files():
    own, foreign, infected, elsewhere = (media_file(OWNER), media_file(OTHER), media_file(OWNER), media_file(OWNER))
    MediaFile.objects.filter(pk=infected).update(scan_status=ScanStatus.INFECTED)
    public.attach(media_ids=[elsewhere], kind="request", object_id="250101-001")
    unknown, malformed = str(uuid.uuid4()), "not-a-uuid"

    problems = public.files_usable(
        media_ids=[own, foreign, infected, elsewhere, unknown, malformed],
        account_id=OWNER,
        kind="request",
        object_id="250101-002",
    )

    assert [(p.media_id, p.reason) for p in problems] == [
        (foreign, "unknown"),
        (infected, "infected"),
        (elsewhere, "attached_elsewhere"),
        (unknown, "unknown"),
        (malformed, "unknown"),
    ]
    assert public.files_usable(media_ids=[elsewhere], account_id=OWNER, kind="request", object_id="250101-001") == ()
    with pytest.raises(ValidationFailedError) as refused:
        public.files_require_usable(media_ids=[foreign], account_id=OWNER, field="photos")
    assert [(d.field, d.message) for d in refused.value.details] == [
        ("photos", f"File {foreign} does not exist or was not uploaded by you.")
    ]


def test_attach_is_idempotent_for_the_same_object_and_refuses_another():
    media_id = media_file(OWNER)

    public.attach(media_ids=[media_id], kind="verification", object_id="7")
    public.attach(media_ids=[media_id], kind="verification", object_id="7")
    with pytest.raises(ValidationFailedError):
        public.attach(media_ids=[media_id], kind="verification", object_id="8")
    with pytest.raises(ValidationFailedError):
        public.attach(media_ids=["not-a-uuid"], kind="verification", object_id="7")

    info = public.file_info(media_id=media_id)
    assert info is not None
    assert (info.attached_kind, info.attached_id, info.is_image, info.downloadable) == ("verification", "7", True, True)
    assert public.file_info(media_id=uuid.uuid4()) is None


# --- reading a file's bytes -------------------------------------------------------------------------------------


def test_file_content_gives_the_bytes_of_a_downloadable_file_only():
    data = media_bytes("jpeg")
    media_id = media_file(OWNER, "jpeg", name="passport.jpg", content=data)

    content = public.file_content(media_id=media_id)

    assert content is not None
    assert (content.name, content.content_type, content.is_image, content.data) == (
        "passport.jpg",
        "image/jpeg",
        True,
        data,
    )
    assert public.file_content(media_id=media_id, max_size=len(data) - 1) is None  # too large to pass on
    assert public.file_content(media_id=uuid.uuid4()) is None
    assert public.file_content(media_id="not-an-id") is None
    MediaFile.objects.filter(pk=media_id).update(scan_status=ScanStatus.INFECTED)
    assert public.file_content(media_id=media_id) is None
