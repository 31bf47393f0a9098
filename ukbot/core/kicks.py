"""After-commit kicks, run off the request path by one daemon thread per process (decision 0033).

A kick wakes a Celery task after a commit (the event relay, notification delivery): a mark in the cache, so that
one kick stands for all commits until the task drains, and a publish to the broker. Both talk to Redis or the
broker, which may hang; the request that committed must not wait on them. :func:`kick_soon` hands the kick to this
process's kick thread and returns at once.

Kicks are keyed by name and coalesce: however many commits hand over the same kick before the thread gets to it,
it runs once, so the queue never holds more than one kick per name. The thread starts on the first kick, and anew
in a forked child (gunicorn ``--preload``, Celery's prefork pool), which does not inherit the parent's threads. A
kick that fails is logged and dropped: the beat sweeps deliver what no kick announced. With
``CELERY_TASK_ALWAYS_EAGER`` (debugging) tasks run inline in the caller anyway, and so do kicks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_changed = threading.Condition(_lock)
_pending: dict[str, Callable[[], None]] = {}
_busy = False
_thread: threading.Thread | None = None
_pid = 0


def kick_soon(name: str, kick: Callable[[], None]) -> None:
    """Run ``kick`` soon on the kick thread, once for all the hand-overs of ``name`` until it runs; never raises."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _run(name, kick)
        return
    with _changed:
        _pending[name] = kick
        _start_if_needed()
        _changed.notify_all()


def kicks_wait_idle(*, timeout: float) -> bool:
    """Wait until no kick is pending or running in this process; False if ``timeout`` seconds passed first."""
    deadline = time.monotonic() + timeout
    with _changed:
        while _pending or _busy:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _changed.wait(left)
    return True


def _start_if_needed() -> None:
    # Called holding the lock.
    global _thread, _pid
    if _thread is None or _pid != os.getpid() or not _thread.is_alive():
        _pid = os.getpid()
        _thread = threading.Thread(target=_loop, name="ukbot-kicks", daemon=True)
        _thread.start()


def _loop() -> None:
    global _busy
    while True:
        with _changed:
            while not _pending:
                _changed.wait()
            name = next(iter(_pending))  # oldest first
            kick = _pending.pop(name)
            _busy = True
        try:
            _run(name, kick)
        finally:
            with _changed:
                _busy = False
                _changed.notify_all()


def _run(name: str, kick: Callable[[], None]) -> None:
    try:
        kick()
    except Exception:
        logger.warning("kick %s failed; the periodic sweep will do its work", name, exc_info=True)


def _after_fork_in_child() -> None:
    # The parent's kick thread does not exist here and it may have held the lock at the fork: start afresh.
    # What was pending is the parent's to run.
    global _lock, _changed, _pending, _busy, _thread, _pid
    _lock = threading.Lock()
    _changed = threading.Condition(_lock)
    _pending = {}
    _busy = False
    _thread = None
    _pid = 0


os.register_at_fork(after_in_child=_after_fork_in_child)
