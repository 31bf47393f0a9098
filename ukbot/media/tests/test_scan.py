"""Virus scanning through clamd's INSTREAM protocol, against a fake clamd in a thread (the EICAR test string)."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from celery.exceptions import Retry

from tests.factories import media_bytes
from ukbot.core.errors import AppError
from ukbot.core.models import OutboxEvent
from ukbot.media import clamd, services, storage, tasks
from ukbot.media.models import MediaFile
from ukbot.media.tests.fake_clamd import EICAR, FakeClamd, closed_port_url

pytestmark = pytest.mark.django_db
OWNER = 700101


def _upload(data: bytes) -> MediaFile:
    return services.media_upload(owner_id=OWNER, file=io.BytesIO(data), name="scan.pdf", size=len(data))


def _pdf_with(payload: bytes) -> bytes:
    return b"%PDF-1.4\n" + payload + b"\n%%EOF\n"


def test_without_a_scanner_files_are_not_scanned_and_downloadable(settings):
    settings.CLAMAV_URL = None
    row = _upload(media_bytes("pdf"))
    assert row.scan_status == "not_scanned"
    assert services.media_scan(media_id=row.pk) == "not_scanned"


def test_with_a_scanner_an_upload_waits_for_its_scan_queued_after_commit(settings, django_capture_on_commit_callbacks):
    settings.CLAMAV_URL = "tcp://127.0.0.1:9"
    with django_capture_on_commit_callbacks() as callbacks:
        row = _upload(media_bytes("pdf"))
    assert row.scan_status == "pending"
    with mock.patch.object(tasks.scan, "delay") as delay:
        for callback in callbacks:
            callback()
    delay.assert_called_once_with(media_id=str(row.pk))


def test_a_clean_file_becomes_clean_with_an_event(settings):
    with FakeClamd() as server:
        settings.CLAMAV_URL = server.url
        data = _pdf_with(b"just a report")
        row = _upload(data)

        assert tasks.scan.run(media_id=str(row.pk)) == "clean"

    assert server.scanned == [data]
    row.refresh_from_db()
    assert (row.scan_status, row.scan_signature, row.scanned_at is not None) == ("clean", "", True)
    event = OutboxEvent.objects.get(type="media.virus_scan_completed")
    assert (event.data["media_id"], event.data["scan_status"]) == (str(row.pk), "clean")
    again = _upload(data)  # the same bytes again: already scanned, clean at once
    assert again.scan_status == "clean"


def test_an_infected_file_is_quarantined_for_every_copy_and_new_copies_are_refused(settings):
    with FakeClamd() as server:
        settings.CLAMAV_URL = server.url
        data = _pdf_with(EICAR)
        first, second = _upload(data), _upload(data)
        blob = first.storage_key

        assert services.media_scan(media_id=first.pk) == "infected"
        assert services.media_scan(media_id=second.pk) == "infected"  # already decided: not sent again

    assert len(server.scanned) == 1
    rows = list(MediaFile.objects.filter(pk__in=[first.pk, second.pk]))
    assert {(r.scan_status, r.scan_signature, r.storage_key) for r in rows} == {
        ("infected", "Eicar-Test-Signature", f"quarantine/{first.sha256}")
    }
    assert not storage.exists(blob) and storage.exists(f"quarantine/{first.sha256}")
    assert OutboxEvent.objects.filter(type="media.virus_scan_completed", data__scan_status="infected").count() == 2
    with pytest.raises(AppError) as refused:
        _upload(data)
    assert refused.value.code == "VALIDATION_ERROR"
    assert MediaFile.objects.count() == 2


def test_a_scanner_that_is_down_marks_the_file_error_and_the_task_retries(settings):
    settings.CLAMAV_URL = closed_port_url()
    row = _upload(_pdf_with(b"report"))

    with mock.patch.object(tasks.scan, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        tasks.scan.run(media_id=str(row.pk))

    row.refresh_from_db()
    assert row.scan_status == "error"
    assert isinstance(retry.call_args.kwargs["exc"], clamd.ScannerError)
    assert retry.call_args.kwargs["countdown"] == 30
    assert not OutboxEvent.objects.filter(type="media.virus_scan_completed").exists()

    with FakeClamd() as server:  # the scanner is back: the retry scans it
        settings.CLAMAV_URL = server.url
        assert tasks.scan.run(media_id=str(row.pk)) == "clean"
    row.refresh_from_db()
    assert row.scan_status == "clean"


def test_the_sweep_requeues_files_left_pending(settings):
    settings.CLAMAV_URL = "tcp://127.0.0.1:9"
    row = _upload(_pdf_with(b"lost task"))
    MediaFile.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=row.created_at.year - 1))

    with mock.patch.object(tasks.scan, "delay") as delay:
        assert tasks.rescan_pending.run() == 1
    delay.assert_called_once_with(media_id=str(row.pk))


def test_an_error_reply_from_clamd_is_a_scanner_error():
    with pytest.raises(clamd.ScannerError):
        clamd._verdict("INSTREAM size limit exceeded. ERROR")
    assert clamd._verdict("stream: OK") == clamd.Verdict(clean=True)
