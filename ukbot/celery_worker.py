"""Start a real Celery worker of this project as a child process and wait until it answers (tests, benchmarks)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from celery import Celery

from ukbot.celery import app

ROOT = Path(__file__).resolve().parent.parent


def start_worker(
    *,
    concurrency: int = 2,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    broker_url: str | None = None,
    log: Path | None = None,
    loglevel: str = "WARNING",
) -> subprocess.Popen:
    """Start ``celery -A ukbot worker``; return it once it answers a ping.

    ``broker_url`` is where to ping it when ``env`` gives it another broker than this process's; ``log`` is a file
    for its output (else it shares this process's).

    :raises RuntimeError: if it exits or stays silent for ``timeout`` seconds.
    """
    worker = launch_worker(concurrency=concurrency, env=env, log=log, loglevel=loglevel)
    wait_for_worker(worker, broker_url=broker_url, timeout=timeout)
    return worker


def launch_worker(
    *, concurrency: int = 2, env: dict[str, str] | None = None, log: Path | None = None, loglevel: str = "WARNING"
) -> subprocess.Popen:
    """Start ``celery -A ukbot worker`` and return at once (see ``wait_for_worker``)."""
    command = [sys.executable, "-m", "celery", "-A", "ukbot", "worker", "--loglevel", loglevel]
    command += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"]
    output = log.open("a") if log is not None else None
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)  # noqa: S603 - our own
    if output is not None:
        output.close()
    return worker


def wait_for_worker(worker: subprocess.Popen, *, broker_url: str | None = None, timeout: float = 60.0) -> None:
    """Return once the started worker answers a ping (on ``broker_url``, or this process's broker).

    :raises RuntimeError: if it exits or stays silent for ``timeout`` seconds (then it is killed).
    """
    deadline = time.monotonic() + timeout
    while not _ping(broker_url):
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited at start-up with status {worker.returncode}")
        if time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"the Celery worker did not answer a ping within {timeout:.0f} s")


def _ping(broker_url: str | None) -> bool:
    if broker_url is None:
        return bool(app.control.ping(timeout=0.5))
    # An app of its own: ping(connection=...) still collects the replies on this app's broker.
    other = Celery(broker=broker_url, set_as_current=False)
    try:
        return bool(other.control.ping(timeout=0.5))
    finally:
        other.close()


def stop_worker(worker: subprocess.Popen, *, timeout: float = 30.0) -> None:
    """Warm shutdown: let running tasks finish, then make sure the process is gone."""
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
