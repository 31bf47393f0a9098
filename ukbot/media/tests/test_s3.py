"""The same flows against a real S3 API over HTTP: moto in server mode, with presigned links that expire."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.factories import media_bytes, media_file, person, signed_in
from ukbot.media import links, storage
from ukbot.media.models import MediaFile

pytestmark = pytest.mark.django_db
BUCKET = "ukbot-media-test"


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(settings, moto_endpoint):
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    client = boto3.client("s3", endpoint_url=moto_endpoint, **credentials)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",  # as settings.AWS_S3_SIGNATURE_VERSION
            },
        },
    }
    assert storage.is_s3()
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a link to our local moto server
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def test_upload_dedupe_download_and_delete_in_s3(s3, django_capture_on_commit_callbacks):
    owner = person("applicant")
    client = signed_in(owner)
    data = media_bytes("jpeg")
    first, second = media_file(owner, content=data), media_file(owner, content=data, name="копия.jpg")

    sha = MediaFile.objects.get(pk=first).sha256
    assert _keys(s3) == [f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"]  # stored once
    downloaded = client.get(f"/api/v1/media/{second}/download")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == data
    assert downloaded["Content-Disposition"] == "attachment; filename*=utf-8''%D0%BA%D0%BE%D0%BF%D0%B8%D1%8F.jpg"

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/media/{first}").status_code == 204
    assert len(_keys(s3)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/media/{second}").status_code == 204
    assert _keys(s3) == []


def test_a_presigned_link_works_without_credentials_and_carries_its_expiry(s3):
    owner = person("applicant")
    data = media_bytes("pdf")
    media_id = media_file(owner, content=data, name="акт приёмки.pdf")

    answer = signed_in(owner).post("/api/v1/media/signed-url", {"media_id": media_id, "ttl": 120}, format="json")
    assert answer.status_code == 201, answer.content
    url, expires_at = answer.json()["data"]["url"], answer.json()["data"]["expires_at"]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(s3.meta.endpoint_url) and "X-Amz-Signature" in query
    assert query["X-Amz-Expires"] == ["120"]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.fromisoformat(expires_at) - signed_at).total_seconds() - 120) <= 2

    status, body, headers = _fetch(url)  # plain HTTP, no credentials
    assert (status, body, headers.get("Content-Type")) == (200, data, "application/pdf")
    assert "filename*=utf-8''%D0%B0%D0%BA%D1%82" in headers.get("Content-Disposition")
    # moto does not enforce the expiry or the signature of presigned links (real S3 and MinIO do): the expiry
    # is checked above as what the link asks S3 to enforce.


def test_an_infected_blob_moves_to_quarantine_in_s3(s3, settings):
    from ukbot.media import services
    from ukbot.media.tests.fake_clamd import EICAR, FakeClamd

    with FakeClamd() as server:
        settings.CLAMAV_URL = server.url
        media_id = media_file(700201, content=b"%PDF-1.4\n" + EICAR)
        row = MediaFile.objects.get(pk=media_id)
        assert services.media_scan(media_id=media_id) == "infected"

    assert _keys(s3) == [f"quarantine/{row.sha256}"]
    assert links.token_create(media_id=media_id)[0]  # signing works; the API refuses to sign infected files
