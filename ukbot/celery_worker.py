"""Start a real Celery worker of this project as a child process and wait until it answers (tests, benchmarks)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ukbot.celery import app

ROOT = Path(__file__).resolve().parent.parent


def start_worker(*, concurrency: int = 2, env: dict[str, str] | None = None, timeout: float = 60.0) -> subprocess.Popen:
    """Start ``celery -A ukbot worker``; return it once it answers a ping.

    :raises RuntimeError: if it exits or stays silent for ``timeout`` seconds.
    """
    command = [sys.executable, "-m", "celery", "-A", "ukbot", "worker", "--loglevel", "WARNING"]
    command += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own command line
    deadline = time.monotonic() + timeout
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited at start-up with status {worker.returncode}")
        if time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"the Celery worker did not answer a ping within {timeout:.0f} s")
    return worker


def stop_worker(worker: subprocess.Popen, *, timeout: float = 30.0) -> None:
    """Warm shutdown: let running tasks finish, then make sure the process is gone."""
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
