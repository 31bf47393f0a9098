"""A client for clamd's INSTREAM command over TCP (the ClamAV daemon's own protocol; no library needed).

The stream is sent as ``zINSTREAM\\0`` then chunks each prefixed by its 4-byte big-endian length, then a zero
length; clamd answers ``stream: OK`` or ``stream: <signature> FOUND`` (or ``… ERROR``), ending in a NUL byte.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 60


class ScannerError(Exception):
    """clamd could not be reached or did not give a verdict; the scan should be retried."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""


def scan_stream(url: str, stream: IO[bytes], *, timeout: float = TIMEOUT_SECONDS) -> Verdict:
    """Send ``stream`` to the clamd at ``url`` (``tcp://host:port``) and return its verdict.

    :raises ScannerError: clamd is unreachable, closes early, or answers with an error.
    """
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
            conn.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                conn.sendall(struct.pack(">I", len(chunk)) + chunk)
            conn.sendall(struct.pack(">I", 0))
            reply = _read_reply(conn)
    except OSError as exc:
        raise ScannerError(f"clamd at {url}: {exc}") from exc
    return _verdict(reply)


def _read_reply(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        part = conn.recv(4096)
        if not part:
            break
        data += part
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def _verdict(reply: str) -> Verdict:
    _, _, result = reply.partition(": ")
    if result == "OK":
        return Verdict(clean=True)
    if result.endswith(" FOUND"):
        return Verdict(clean=False, signature=result[: -len(" FOUND")])
    raise ScannerError(f"clamd answered {reply!r}")
