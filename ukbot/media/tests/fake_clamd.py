"""A fake clamd speaking the INSTREAM protocol over TCP, in a thread: finds the EICAR test string, nothing else."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        command = b""
        while not command.endswith(b"\0"):
            part = conn.recv(1)
            if not part:
                return
            command += part
        if command != b"zINSTREAM\0":
            conn.sendall(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while True:
            size = struct.unpack(">I", _exactly(conn, 4))[0]
            if size == 0:
                break
            data += _exactly(conn, size)
        self.server.scanned.append(data)
        verdict = b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
        conn.sendall(verdict)


def _exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = conn.recv(size - len(data))
        if not part:
            raise ConnectionError("client closed the stream early")
        data += part
    return data


class FakeClamd(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scanned: list[bytes] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeClamd:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


def closed_port_url() -> str:
    """A clamd address where nothing listens (a scanner that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"
