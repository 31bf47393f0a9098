"""Decide a file's type from its first bytes (magic numbers), never from its name or the client's header.

Six types are accepted (DESIGN §7); anything else, a renamed executable included, is ``None``. A dozen lines of
signatures are easier to audit than a general-purpose library, and need no native libmagic.
"""

from __future__ import annotations

JPEG, PNG, WEBP, HEIC, PDF, MP4 = "image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf", "video/mp4"
ALLOWED = (JPEG, PNG, WEBP, HEIC, PDF, MP4)
IMAGES = frozenset({JPEG, PNG, WEBP, HEIC})
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", HEIC: "heic", PDF: "pdf", MP4: "mp4"}
HEAD_BYTES = 64  # enough for every signature below and an ftyp box's first compatible brands

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"mmp4"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})


def sniff(head: bytes) -> str | None:
    """Return the content type of a file whose first bytes are ``head``, or None if it is not an allowed type."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_media(head)
    return None


def _iso_media(head: bytes) -> str | None:
    # An ISO base media file starts with an ftyp box: size, "ftyp", major brand, minor version, compatible brands.
    box_size = int.from_bytes(head[:4], "big")
    end = min(max(box_size, 16), len(head))
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if brands & _AVIF_BRANDS:
        return None  # AVIF shares the HEIF container but is not on the list
    if major in _HEIF_BRANDS:
        return HEIC
    if major in _MP4_BRANDS or brands & _MP4_BRANDS:
        return MP4
    return None
