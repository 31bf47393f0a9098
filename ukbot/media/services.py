"""Write use-cases of `media`: upload (typed by its bytes, checked, deduplicated), attach, scan, delete.

Blobs are content-addressed (see :mod:`ukbot.media.storage`): every change to which rows share a blob runs under
a transaction-scoped advisory lock on its sha256, so an upload and the deletion of the last copy cannot cross.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError, NotFoundError, PermissionDeniedError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.media import clamd, owners, selectors, sniff, storage
from ukbot.media.events import (
    MEDIA_DELETED,
    MEDIA_UPLOADED,
    MEDIA_VIRUS_SCAN_COMPLETED,
    MediaDeleted,
    MediaUploaded,
    MediaVirusScanCompleted,
)
from ukbot.media.models import MediaFile, ScanStatus

logger = logging.getLogger(__name__)

MAX_NAME = 200
CHUNK = 64 * 1024


def size_limit(content_type: str) -> int:
    """The largest file accepted of ``content_type`` (settings MEDIA_MAX_IMAGE/PDF/VIDEO_BYTES)."""
    if content_type in sniff.IMAGES:
        return settings.MEDIA_MAX_IMAGE_BYTES
    if content_type == sniff.PDF:
        return settings.MEDIA_MAX_PDF_BYTES
    return settings.MEDIA_MAX_VIDEO_BYTES


def sanitize_name(name: str | None, *, content_type: str = "") -> str:
    """A safe display name: the last path component, no control characters, unicode kept, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # "../../etc/passwd" and "C:\\x\\y.jpg" keep the last part
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format, surrogate, private
    name = name.strip().strip(".").strip()  # no "..", no hidden-file dots, no trailing dots
    if not name:
        extension = sniff.EXTENSIONS.get(content_type)
        name = f"file.{extension}" if extension else "file"
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME]
    return name


def _lock(sha256: str) -> None:
    # One lock per content: taken by upload, delete and quarantine, released with the transaction.
    key = int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# Advisory lock class of a person's quota: the two-key form, which does not overlap the one-key locks on content.
_QUOTA_LOCK_CLASS = 0x6D71  # "mq"


def _check_quota(*, owner_id: int, size: int) -> None:
    """Refuse an upload that would take the owner's live files over MEDIA_QUOTA_BYTES; hold the owner's lock
    until the transaction ends, so that two uploads at once cannot both fit in the same room."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_QUOTA_LOCK_CLASS, owner_id % 2**31])
    used = MediaFile.objects.filter(owner_id=owner_id, deleted_at__isnull=True).aggregate(total=Sum("size"))["total"]
    quota = settings.MEDIA_QUOTA_BYTES
    if (used or 0) + size > quota:
        message = _(
            "This file does not fit in your storage: you keep %(used).1f MB of the %(quota).1f MB allowed. "
            "Delete files you no longer need."
        ) % {"used": (used or 0) / 1024 / 1024, "quota": quota / 1024 / 1024}
        raise AppError("QUOTA_EXCEEDED", message, details={"file": message})


def _too_large(limit: int) -> AppError:
    message = _("The file is larger than %(mb).1f MB allowed for its type.") % {"mb": limit / 1024 / 1024}
    return AppError("PAYLOAD_TOO_LARGE", message, details={"file": message})


def _measure(file: IO[bytes], limit: int) -> tuple[str, int]:
    digest, total = hashlib.sha256(), 0
    file.seek(0)
    while chunk := file.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        digest.update(chunk)
    return digest.hexdigest(), total


def media_upload(*, owner_id: int, file: IO[bytes], name: str | None, size: int | None = None) -> MediaFile:
    """Store an uploaded file: its type read from its bytes, its size checked for that type, its bytes kept once
    per content; publish ``media.uploaded`` and, when a scanner is configured, queue the virus scan.

    :raises ValidationFailedError: an empty file, or bytes already found infected.
    :raises AppError: MEDIA_TYPE_NOT_ALLOWED for a type off the list; PAYLOAD_TOO_LARGE over the type's limit;
        QUOTA_EXCEEDED when the owner's stored files and this one together exceed MEDIA_QUOTA_BYTES (nothing is
        stored then).
    """
    file.seek(0)
    head = file.read(sniff.HEAD_BYTES)
    if not head:
        raise ValidationFailedError(details={"file": _("The file is empty.")})
    content_type = sniff.sniff(head)
    if content_type is None:
        message = _("Only JPEG, PNG, WebP, HEIC, PDF and MP4 files are accepted (judged by the content, not the name).")
        raise AppError("MEDIA_TYPE_NOT_ALLOWED", message, details={"file": message})
    limit = size_limit(content_type)
    if size is not None and size > limit:
        raise _too_large(limit)  # refused before reading the whole file
    sha256, size = _measure(file, limit)
    name = sanitize_name(name, content_type=content_type)
    key = storage.blob_key(sha256)
    with transaction.atomic():
        _check_quota(owner_id=owner_id, size=size)
        _lock(sha256)
        siblings = MediaFile.objects.filter(sha256=sha256, deleted_at__isnull=True)
        if siblings.filter(scan_status=ScanStatus.INFECTED).exists():
            raise ValidationFailedError(details={"file": _("This file contains a virus.")})
        scanned = siblings.filter(scan_status=ScanStatus.CLEAN).first()
        wrote = False
        try:
            if not storage.exists(key):
                storage.put(key, file)
                wrote = True
            if scanned is not None:
                status, scanned_at = ScanStatus.CLEAN, scanned.scanned_at  # the same bytes were scanned already
            else:
                status, scanned_at = (ScanStatus.PENDING if settings.CLAMAV_URL else ScanStatus.NOT_SCANNED), None
            row = MediaFile.objects.create(
                owner_id=owner_id,
                original_name=name,
                size=size,
                content_type=content_type,
                sha256=sha256,
                storage_key=key,
                scan_status=status,
                scanned_at=scanned_at,
            )
            publish(
                MEDIA_UPLOADED,
                subject=str(row.pk),
                data=MediaUploaded(
                    media_id=str(row.pk),
                    owner_id=owner_id,
                    content_type=content_type,
                    size=size,
                    sha256=sha256,
                    scan_status=status,
                ),
            )
        except BaseException:
            if wrote:  # still under the lock: nobody else can have started using the new blob
                storage.delete(key)
            raise
    if status == ScanStatus.PENDING:
        transaction.on_commit(lambda: _queue_scan(row.pk))
    return row


def _queue_scan(media_id: uuid.UUID) -> None:
    from ukbot.media.tasks import scan

    try:
        scan.delay(media_id=str(media_id))
    except Exception:  # the broker is down: the file stays pending; media_rescan_pending picks it up later
        logger.exception("media: could not queue the scan of %s", media_id)


def media_attach(*, media_ids: Iterable[uuid.UUID | str], kind: str, object_id: str) -> int:
    """Mark files as belonging to an object (``request``/``250101-001``); attaching again to it is a no-op.

    Runs in the caller's transaction, so a refused attachment leaves the files as they were.

    :raises ValidationFailedError: a file that is missing, deleted, or attached to another object.
    """
    object_id = str(object_id)
    ids = list(dict.fromkeys(selectors.parse_id(value) for value in media_ids))
    rows = list(MediaFile.objects.select_for_update().filter(pk__in=[i for i in ids if i], deleted_at__isnull=True))
    if len(rows) != len(ids) or None in ids:
        raise ValidationFailedError(details={"media_ids": _("A file does not exist.")})
    if any(row.attached_kind and (row.attached_kind, row.attached_id) != (kind, object_id) for row in rows):
        raise ValidationFailedError(details={"media_ids": _("A file is attached to something else already.")})
    return MediaFile.objects.filter(pk__in=[row.pk for row in rows], attached_kind="").update(
        attached_kind=kind, attached_id=object_id
    )


def _publish_deleted(row: MediaFile, *, deleted_by: int | None) -> None:
    publish(
        MEDIA_DELETED,
        subject=str(row.pk),
        data=MediaDeleted(
            media_id=str(row.pk),
            owner_id=row.owner_id,
            deleted_by=deleted_by,
            attached_kind=row.attached_kind,
            attached_id=row.attached_id,
        ),
    )


def media_delete(*, media_id: uuid.UUID | str, actor_id: int | None, actor_kind: str) -> MediaFile:
    """Delete a file (its owner or a manager); its bytes go when no other file shares them; publish
    ``media.deleted`` so the owning object can drop its reference.

    :raises NotFoundError: no such live file.
    :raises PermissionDeniedError: neither the owner nor a manager.
    """
    found = selectors.file_get(media_id=media_id)
    if found is None:
        raise NotFoundError(_("No such file."))
    with transaction.atomic():
        _lock(found.sha256)  # before the row lock, in the same order as the scan, so the two cannot deadlock
        row = MediaFile.objects.select_for_update().filter(pk=found.pk, deleted_at__isnull=True).first()
        if row is None:
            raise NotFoundError(_("No such file."))
        if row.owner_id != actor_id and actor_kind != owners.MANAGER:
            raise PermissionDeniedError(_("Only the person who uploaded the file or a manager may delete it."))
        row.deleted_at = timezone.now()
        row.save(update_fields=["deleted_at"])
        _publish_deleted(row, deleted_by=actor_id)
        key, sha256 = row.storage_key, row.sha256
        transaction.on_commit(lambda: _drop_blob_if_unused(key=key, sha256=sha256))
    return row


def _drop_blob_if_unused(*, key: str, sha256: str) -> None:
    # After commit and under the lock again: an upload of the same bytes may have reused the blob meanwhile.
    with transaction.atomic():
        _lock(sha256)
        if not MediaFile.objects.filter(storage_key=key, deleted_at__isnull=True).exists():
            storage.delete(key)


def media_scan(*, media_id: uuid.UUID | str) -> str:
    """Scan a pending file's bytes with clamd (CLAMAV_URL) and record the verdict on every file sharing them;
    infected bytes move to quarantine. Publishes ``media.virus_scan_completed``; returns the file's status.

    :raises clamd.ScannerError: clamd is unreachable or failed; the files are marked ``error`` (to be retried).
    """
    row = MediaFile.objects.filter(pk=media_id, deleted_at__isnull=True).first()
    if row is None or row.scan_status not in (ScanStatus.PENDING, ScanStatus.ERROR):
        return row.scan_status if row else "deleted"
    if not settings.CLAMAV_URL:
        return row.scan_status
    try:
        with storage.open_stream(row.storage_key) as stream:
            verdict = clamd.scan_stream(settings.CLAMAV_URL, stream)
    except clamd.ScannerError:
        MediaFile.objects.filter(sha256=row.sha256, scan_status=ScanStatus.PENDING).update(scan_status=ScanStatus.ERROR)
        raise
    except Exception:
        if not MediaFile.objects.filter(pk=row.pk, deleted_at__isnull=True).exists():
            return "deleted"  # deleted (and its bytes removed) while waiting for the scan
        raise
    with transaction.atomic():
        _lock(row.sha256)
        waiting = list(
            MediaFile.objects.select_for_update().filter(
                sha256=row.sha256, deleted_at__isnull=True, scan_status__in=(ScanStatus.PENDING, ScanStatus.ERROR)
            )
        )
        now = timezone.now()
        if verdict.clean:
            status, key = ScanStatus.CLEAN, row.storage_key
        else:
            status, key = ScanStatus.INFECTED, storage.quarantine_key(row.sha256)
            if storage.exists(row.storage_key):
                storage.move(row.storage_key, key)
            # every live copy of these bytes is the same virus, whatever its status said
            waiting = list(MediaFile.objects.select_for_update().filter(sha256=row.sha256, deleted_at__isnull=True))
        for item in waiting:
            item.scan_status, item.scan_signature, item.scanned_at, item.storage_key = (
                status,
                verdict.signature[:200],
                now,
                key,
            )
            item.save(update_fields=["scan_status", "scan_signature", "scanned_at", "storage_key"])
            publish(
                MEDIA_VIRUS_SCAN_COMPLETED,
                subject=str(item.pk),
                data=MediaVirusScanCompleted(
                    media_id=str(item.pk),
                    owner_id=item.owner_id,
                    scan_status=status,
                    signature=item.scan_signature,
                    attached_kind=item.attached_kind,
                    attached_id=item.attached_id,
                ),
            )
    if not verdict.clean:
        logger.warning("media: %s is infected (%s); quarantined", row.pk, verdict.signature)
    return status


def media_rescan_pending(*, older_than_seconds: int = 300) -> int:
    """Queue the scan again for files left pending or failed (a lost task, clamd down); return how many."""
    if not settings.CLAMAV_URL:
        return 0
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        MediaFile.objects.filter(
            deleted_at__isnull=True, scan_status__in=(ScanStatus.PENDING, ScanStatus.ERROR), created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for media_id in ids:
        _queue_scan(media_id)
    return len(ids)


@transaction.atomic
def media_forget(*, account_id: int | None = None, media_ids: Iterable[uuid.UUID | str] = ()) -> int:
    """Delete, for a forgotten person, the files they uploaded and ``media_ids`` (files about them that others
    uploaded, such as the documents of their applications): the bytes go after commit unless another live file
    shares them, the rows stay as tombstones without their names. Publishes ``media.deleted`` for each file not
    deleted before. Safe twice; returns how many files were deleted now.
    """
    ids = [pk for pk in (selectors.parse_id(value) for value in media_ids) if pk is not None]
    found = MediaFile.objects.filter(pk__in=ids)
    if account_id is not None:
        found = found | MediaFile.objects.filter(owner_id=account_id)
    now, deleted, blobs = timezone.now(), 0, set()
    for sha256 in sorted(set(found.values_list("sha256", flat=True))):
        _lock(sha256)  # in sha order, as every path here takes one lock per blob
        for row in found.select_for_update().filter(sha256=sha256).order_by("pk"):
            if row.deleted_at is None:
                row.deleted_at = now
                deleted += 1
                _publish_deleted(row, deleted_by=None)
            row.original_name = ""
            row.save(update_fields=["deleted_at", "original_name"])
            blobs.add((row.storage_key, sha256))
    for key, sha256 in sorted(blobs):
        transaction.on_commit(functools.partial(_drop_blob_if_unused, key=key, sha256=sha256))
    return deleted
