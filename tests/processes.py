"""What a process a test starts (gunicorn, the bot, a worker) needs to see the test's world."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
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
        environ.update(DATABASE_URL=database_url(), DJANGO_DEBUG="1", PYTHONUNBUFFERED="1")
        environ.update(env)  # a test with servers of its own names its DATABASE_URL here
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


class PrivateRedis:
    """A redis-server of this test only, on a free port, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1) as client:
                    client.ping()
                    return
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("the private redis-server did not start")
                time.sleep(0.1)

    def hang(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.resume()  # a stopped process does not act on SIGTERM until it runs again
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def celery_broker_switch() -> Iterator[Callable[[str], None]]:
    """Yield a switch that points this process's Celery app at another broker URL (its connection pools dropped, as
    after a fork); the broker it had is restored on exit."""
    from ukbot.celery import app

    saved = app.conf.broker_url

    def switch(url: str) -> None:
        app.conf.broker_url = url
        app._after_fork()

    try:
        yield switch
    finally:
        switch(saved)
