"""The only functions other apps may call synchronously in `media`: keyword-only, returning frozen dataclasses.

Apps that own files (request photos, verification documents) register who may read them with
:func:`register_owner` from their ``AppConfig.ready()``, check ids a person sends with :func:`files_usable` (or
:func:`files_require_usable`), and claim them with :func:`attach` in the same transaction as their own write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ErrorDetail, ValidationFailedError
from ukbot.media import links, owners, selectors, services, sniff, storage
from ukbot.media.models import MediaFile, ScanStatus
from ukbot.media.owners import APPLICANT, EXECUTOR, MANAGER, CanRead

__all__ = [
    "APPLICANT",
    "EXECUTOR",
    "MANAGER",
    "PREVIEW_CSS",
    "FileContent",
    "FileInfo",
    "Unusable",
    "attach",
    "file_content",
    "file_info",
    "files_forget",
    "files_require_usable",
    "files_usable",
    "personal_data",
    "preview_html",
    "register_owner",
    "signed_url",
]

DOWNLOADABLE = frozenset({ScanStatus.CLEAN, ScanStatus.NOT_SCANNED})


def register_owner(kind: str, can_read: CanRead) -> None:
    """Let the app owning objects of ``kind`` decide who may read their files:
    ``can_read(account_id, object_id, actor_kind) -> bool``, where ``actor_kind`` is manager, executor or applicant.

    :raises ValueError: a kind that is not a short identifier.
    """
    owners.register(kind, can_read)


@dataclass(frozen=True)
class FileInfo:
    id: uuid.UUID
    owner_id: int
    name: str
    size: int
    content_type: str
    sha256: str
    scan_status: str
    attached_kind: str
    attached_id: str
    created_at: datetime
    is_image: bool
    downloadable: bool  # clean, or not scanned because no scanner is configured


def _info(row: MediaFile) -> FileInfo:
    return FileInfo(
        id=row.pk,
        owner_id=row.owner_id,
        name=row.original_name,
        size=row.size,
        content_type=row.content_type,
        sha256=row.sha256,
        scan_status=row.scan_status,
        attached_kind=row.attached_kind,
        attached_id=row.attached_id,
        created_at=row.created_at,
        is_image=row.content_type in sniff.IMAGES,
        downloadable=row.scan_status in DOWNLOADABLE,
    )


def file_info(*, media_id: uuid.UUID | str) -> FileInfo | None:
    """Return what is known of a live file, or None for an unknown, deleted or malformed id."""
    row = selectors.file_get(media_id=media_id)
    return _info(row) if row is not None else None


def files_info(*, media_ids: Iterable) -> dict[uuid.UUID, FileInfo]:
    """Return :func:`file_info` of several files in one query, by id (missing ones left out)."""
    return {pk: _info(row) for pk, row in selectors.files_get(media_ids=list(media_ids)).items()}


@dataclass(frozen=True)
class FileContent:
    """A file's bytes with what a sender needs to pass them on (a name and whether it shows as a picture)."""

    name: str
    content_type: str
    is_image: bool
    data: bytes


def file_content(*, media_id: uuid.UUID | str, max_size: int = 20 * 1024 * 1024) -> FileContent | None:
    """Return the bytes of a downloadable file (clean, or not scanned without a scanner) of at most ``max_size``
    bytes, for staff who review it elsewhere (the bot shows identity documents to managers); None for an unknown,
    deleted, quarantined or too large file. The caller checks that the reader may see it."""
    row = selectors.file_get(media_id=media_id)
    if row is None or row.scan_status not in DOWNLOADABLE or row.size > max_size:
        return None
    with storage.open_stream(row.storage_key) as stream:
        data = stream.read(max_size + 1)
    if len(data) > max_size:
        return None
    return FileContent(
        name=row.original_name, content_type=row.content_type, is_image=row.content_type in sniff.IMAGES, data=data
    )


@dataclass(frozen=True)
class Unusable:
    media_id: str
    reason: str  # "unknown" (missing, deleted or someone else's), "infected" or "attached_elsewhere"


def files_usable(
    *, media_ids: Iterable, account_id: int, kind: str | None = None, object_id: str | None = None
) -> tuple[Unusable, ...]:
    """Return the ids among ``media_ids`` that ``account_id`` may not attach (to ``kind``/``object_id``): unknown,
    deleted or uploaded by someone else (one reason, so ids of others' files reveal nothing), infected, or
    attached to another object. Empty when all may be attached."""
    ids = [str(value) for value in dict.fromkeys(media_ids)]
    rows = selectors.files_get(media_ids=ids)
    problems = []
    for media_id in ids:
        pk = selectors.parse_id(media_id)
        row = rows.get(pk) if pk is not None else None
        if row is None or row.owner_id != account_id:
            problems.append(Unusable(media_id=media_id, reason="unknown"))
        elif row.scan_status == ScanStatus.INFECTED:
            problems.append(Unusable(media_id=media_id, reason="infected"))
        elif row.attached_kind and (row.attached_kind, row.attached_id) != (kind, str(object_id)):
            problems.append(Unusable(media_id=media_id, reason="attached_elsewhere"))
    return tuple(problems)


_REASONS = {
    "unknown": _("File %(id)s does not exist or was not uploaded by you."),
    "infected": _("File %(id)s failed the virus scan."),
    "attached_elsewhere": _("File %(id)s is attached to something else."),
}


def files_require_usable(
    *, media_ids: Iterable, account_id: int, field: str, kind: str | None = None, object_id: str | None = None
) -> None:
    """Check :func:`files_usable` and refuse with one detail per unusable file on ``field``.

    :raises ValidationFailedError: a file the person may not attach.
    """
    problems = files_usable(media_ids=media_ids, account_id=account_id, kind=kind, object_id=object_id)
    if problems:
        raise ValidationFailedError(
            details=[
                ErrorDetail(field=field, message=str(_REASONS[problem.reason]) % {"id": problem.media_id})
                for problem in problems
            ]
        )


def attach(*, media_ids: Iterable, kind: str, object_id: str) -> None:
    """Mark files as belonging to ``kind``/``object_id`` (in the caller's transaction); again is a no-op.

    :raises ValidationFailedError: a missing file or one attached to another object.
    """
    services.media_attach(media_ids=list(media_ids), kind=kind, object_id=str(object_id))


def signed_url(*, media_id: uuid.UUID | str, ttl: int = links.DEFAULT_TTL) -> str | None:
    """Return a link that downloads the file without a token for ``ttl`` seconds (a path on this site for local
    storage, a presigned S3 URL otherwise); None when the file is missing or not downloadable (not clean).

    :raises ValidationFailedError: a ``ttl`` outside 1 second to 24 hours.
    """
    row = selectors.file_get(media_id=media_id)
    if row is None or row.scan_status not in DOWNLOADABLE:
        return None
    return links.link_for(row, ttl=ttl)[0]


PREVIEW_CSS = "media/admin.css"  # the stylesheet of preview_html's thumbnails, for an admin's Media


def preview_html(*, media_id: uuid.UUID | str, ttl: int = links.DEFAULT_TTL) -> str:
    """Return HTML for admin pages: an image through a signed link, a link to another file, or why there is none
    (deleted, waiting for its scan, quarantined). Names are escaped. The page's admin lists ``PREVIEW_CSS`` in its
    ``Media``: the image is sized by a class, since the admin's Content-Security-Policy refuses inline styles."""
    row = selectors.file_get(media_id=media_id)
    if row is None:
        return format_html("{} <small>({})</small>", media_id, _("deleted"))
    if row.scan_status not in DOWNLOADABLE:
        return format_html("{} <small>({})</small>", row.original_name, row.get_scan_status_display())
    url, _expires = links.link_for(row, ttl=ttl)
    if row.content_type in sniff.IMAGES and row.content_type != sniff.HEIC:  # browsers do not draw HEIC
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" class="ukbot-thumbnail"></a>',
            url,
            url,
            row.original_name,
        )
    return format_html('<a href="{}">{}</a>', url, row.original_name)


def files_forget(*, media_ids: Iterable) -> int:
    """Delete files about a forgotten person that they may not have uploaded themselves (their documents, their
    requests' photos) in the caller's transaction: bytes after commit, names now, rows kept as tombstones. Safe
    twice; unknown or malformed ids are skipped. Returns how many were deleted now."""
    return services.media_forget(media_ids=media_ids)


def personal_data(*, account_id: int) -> dict[str, Any]:
    """Everything `media` holds about a person: the files they uploaded (names, types, sizes, ids; not the bytes,
    which each download gives). Empty for a person who never uploaded anything."""
    files = [
        {
            "id": str(row.pk),
            "name": row.original_name,
            "content_type": row.content_type,
            "size": row.size,
            "attached_kind": row.attached_kind,
            "attached_id": row.attached_id,
            "uploaded_at": row.created_at.isoformat(),
            "deleted_at": row.deleted_at.isoformat() if row.deleted_at else None,
        }
        for row in MediaFile.objects.filter(owner_id=account_id).order_by("created_at", "pk")
    ]
    return {"files": files} if files else {}
