"""What a process a test starts (gunicorn, the bot, a worker) needs to see the test's world."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
# Every API rate limit far above what tests send, though still counted: the suite makes many calls quickly from one
# address. The root conftest sets them in the test process and its environment (for the servers tests start).
UNTHROTTLED = dict.fromkeys(
    (
        "API_RATE_USER",
        "API_RATE_ANON",
        "API_RATE_SIGN_IN",
        "API_RATE_UPLOADS",
        "API_RATE_EXPORTS",
        "API_RATE_SEARCHES",
        "API_RATE_BULK_NOTIFICATIONS",
    ),
    "1000000/min",
)


def database_url() -> str:
    """DATABASE_URL naming the test database, however the server is reached (a host and port, or the socket
    directory of the embedded server that `make test` starts), so the process sees the rows the test wrote."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """The project's WSGI app under gunicorn on 127.0.0.1, on the test database and Redis, as users start it.

    ``env`` adds to (or overrides) the test's environment; ``TRUSTED_PROXIES`` is not inherited, so a test that
    wants proxies trusted says so.
    """

    def __init__(self, log: Path, *, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if k not in {"TRUSTED_PROXIES", "DATABASE_URL"}}
        environ.update(DATABASE_URL=database_url(), DJANGO_DEBUG="1", PYTHONUNBUFFERED="1", **env)
        self.log = log
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "ukbot.wsgi", "--bind", f"127.0.0.1:{self.port}"),
                *("--workers", str(workers), "--worker-class", "gthread", "--threads", "8", "--timeout", "60"),
            ],
            cwd=ROOT,
            env=environ,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
