"""Download links that work without a token: signed by us (local storage) or presigned by S3, always expiring.

A local link is ``/api/v1/media/signed/<token>``; the token carries the media id and an expiry time, signed with
SECRET_KEY (``django.core.signing``), so an altered or expired one is refused without a database lookup.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from django.core import signing
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError, ValidationFailedError
from ukbot.media import sniff, storage
from ukbot.media.models import MediaFile

SALT = "ukbot.media.signed-url"
MAX_TTL = 24 * 3600
DEFAULT_TTL = 300


def download_name(row: MediaFile) -> str:
    """The name a file is saved under: the uploader's name with the extension of the type its bytes were sniffed as
    (a PNG uploaded as ``evil.html`` downloads as ``evil.png``), so no client opens it as something else."""
    extension = sniff.EXTENSIONS.get(row.content_type)
    if not extension:
        return row.original_name
    stem, dot, current = row.original_name.rpartition(".")
    if not dot or not stem:
        stem = row.original_name
    elif current.lower() == extension or (current.lower(), extension) in {("jpeg", "jpg"), ("heif", "heic")}:
        return row.original_name
    return f"{stem or 'file'}.{extension}"


def content_disposition(row: MediaFile) -> str:
    """``attachment; filename="…"`` or, for a non-ASCII name, ``filename*=utf-8''…`` (RFC 6266/5987), named by
    :func:`download_name`."""
    header = content_disposition_header(as_attachment=True, filename=download_name(row))
    assert header is not None  # None only when neither an attachment nor a name is asked for
    return header


def token_create(*, media_id: uuid.UUID | str, ttl: int = DEFAULT_TTL) -> tuple[str, datetime]:
    """A token naming the file and its expiry, signed with SECRET_KEY; returns it with the expiry time.

    :raises ValidationFailedError: a lifetime outside 1 second to 24 hours.
    """
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL:
        raise ValidationFailedError(details={"ttl": _("Between 1 second and 24 hours.")})
    expires = int(time.time()) + ttl
    token = signing.dumps({"m": str(media_id), "e": expires}, salt=SALT)
    return token, datetime.fromtimestamp(expires, tz=UTC)


def token_resolve(*, token: str) -> str:
    """The media id a token names, if it is intact and unexpired.

    :raises AppError: SIGNED_URL_INVALID for a malformed or altered token, SIGNED_URL_EXPIRED past its expiry.
    """
    try:
        payload = signing.loads(token, salt=SALT)
        media_id, expires = str(payload["m"]), int(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise AppError("SIGNED_URL_INVALID", _("This download link is not valid.")) from None
    if expires < time.time():
        raise AppError("SIGNED_URL_EXPIRED", _("This download link has expired; ask for a new one."))
    return media_id


def link_for(row: MediaFile, *, ttl: int = DEFAULT_TTL) -> tuple[str, datetime]:
    """A tokenless link to a file for ``ttl`` seconds and its expiry: presigned by S3, or our signed path.

    :raises ValidationFailedError: a lifetime outside 1 second to 24 hours.
    """
    token, expires = token_create(media_id=row.pk, ttl=ttl)
    if storage.is_s3():
        url = storage.presigned_url(
            row.storage_key,
            ttl=ttl,
            content_type=row.content_type,
            disposition=content_disposition(row),
        )
        return url, expires
    return reverse("media:signed", kwargs={"token": token}), expires
