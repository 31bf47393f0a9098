"""The per-person storage quota (MEDIA_QUOTA_BYTES) through the upload API, with files stored in S3 (moto server):
a refused upload answers 413 QUOTA_EXCEEDED and leaves no object and no row; others' files do not count."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connections

from tests.factories import media_bytes, person, signed_in
from ukbot.media.models import MediaFile
from ukbot.media.tests.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401 - the S3 fixtures, reused

pytestmark = pytest.mark.django_db


def _upload(client, data: bytes, name: str = "photo.jpg"):
    stream = io.BytesIO(data)
    stream.name = name
    return client.post("/api/v1/media/upload", {"file": stream}, format="multipart")


def _objects(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_an_upload_over_the_quota_is_refused_and_stores_nothing(s3, settings):  # noqa: F811 - the fixture
    owner_id, other_id = person("applicant"), person("applicant")
    owner, other = signed_in(owner_id), signed_in(other_id)
    settings.MEDIA_QUOTA_BYTES = 1000

    first = _upload(owner, media_bytes("jpeg", size=600))
    assert first.status_code == 201, first.content
    refused = _upload(owner, media_bytes("pdf", size=401), "scan.pdf")

    assert refused.status_code == 413, refused.content
    error = refused.json()["error"]
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["message"].startswith("This file does not fit in your storage")
    assert error["details"] == [{"field": "file", "message": error["message"]}]
    assert list(MediaFile.objects.filter(owner_id=owner_id).values_list("size", flat=True)) == [600]
    assert len(_objects(s3)) == 1

    # exactly up to the quota fits; someone else's files do not count against it
    assert _upload(owner, media_bytes("png", size=400)).status_code == 201
    assert _upload(other, media_bytes("png", size=1000)).status_code == 201
    assert len(_objects(s3)) == 3


def test_deleting_a_file_frees_its_room(s3, settings):  # noqa: F811 - the fixture
    owner = signed_in(person("applicant"))
    settings.MEDIA_QUOTA_BYTES = 1000
    first = _upload(owner, media_bytes("jpeg", size=800)).json()["data"]["id"]
    assert _upload(owner, media_bytes("jpeg", size=800)).status_code == 413

    assert owner.delete(f"/api/v1/media/{first}").status_code == 204

    assert _upload(owner, media_bytes("jpeg", size=800)).status_code == 201


def test_the_refusal_names_the_room_in_megabytes_and_the_callers_language(settings):
    owner = signed_in(person("applicant"))
    owner.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    settings.MEDIA_QUOTA_BYTES = 3 * 1024 * 1024
    assert _upload(owner, media_bytes("jpeg", size=2 * 1024 * 1024)).status_code == 201

    refused = _upload(owner, media_bytes("jpeg", size=1024 * 1024 + 1))

    assert refused.status_code == 413
    assert refused.json()["error"]["message"] == (
        "Файл не помещается в ваше хранилище: у вас уже 2.0 МБ из разрешённых 3.0 МБ. Удалите ненужные файлы."
    )


@pytest.mark.django_db(transaction=True)
def test_uploads_at_once_cannot_together_exceed_the_quota(settings):
    owner_id = person("applicant")
    settings.MEDIA_QUOTA_BYTES = 1000
    answers: list[int] = []
    start = threading.Barrier(4)

    def upload() -> None:
        try:
            client = signed_in(owner_id)
            start.wait(timeout=30)
            answers.append(_upload(client, media_bytes("jpeg", size=400)).status_code)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=upload) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(answers) == [201, 201, 413, 413]
    assert MediaFile.objects.filter(owner_id=owner_id).count() == 2
