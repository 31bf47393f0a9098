"""The type of a file comes from its first bytes; names and client headers do not count."""

from __future__ import annotations

import pytest

from tests.factories import media_bytes
from ukbot.media.sniff import sniff


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("jpeg", "image/jpeg"),
        ("png", "image/png"),
        ("webp", "image/webp"),
        ("heic", "image/heic"),
        ("mp4", "video/mp4"),
        ("pdf", "application/pdf"),
    ],
)
def test_each_allowed_type_is_recognised_by_its_magic_bytes(kind, expected):
    assert sniff(media_bytes(kind)[:64]) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable (renamed to photo.jpg or not)
        b"\x7fELF\x02\x01\x01\x00",  # a Linux executable
        b"#!/bin/sh\nrm -rf /\n",
        b"PK\x03\x04\x14\x00",  # zip, docx
        b"GIF89a\x01\x00",
        b"<svg xmlns='http://www.w3.org/2000/svg'>",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",  # AVIF: a HEIF container, not on the list
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ",  # QuickTime .mov
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF but audio
        b" %PDF-1.7",  # the signature must be at the start
        b"\xff\xd8",  # cut short
        b"",
    ],
)
def test_anything_else_is_refused(head):
    assert sniff(head) is None


def test_heif_with_a_generic_major_brand_and_mp4_with_a_compatible_brand():
    assert sniff(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic") == "image/heic"
    assert sniff(b"\x00\x00\x00\x18ftypXYZ1\x00\x00\x00\x00XYZ1mp42") == "video/mp4"
