"""The only functions other apps may call synchronously in `assignment`: keyword-only, returning frozen dataclasses."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ukbot.assignment import locks


@dataclass(frozen=True)
class AssignmentRef:
    """An assignment just made: its log entry, the request, the executor, their score (None when the ranking could
    not score them) and whether the choice overrode the top recommendation."""

    assignment_id: int
    request_number: str
    executor_id: int
    score: float | None
    overrode: bool


def assign_manual(
    *, number: str, executor_id: int, actor_id: int, reason: str = "", expected_version: int | None = None
) -> AssignmentRef:
    """A manager gives new request ``number`` to ``executor_id`` through the one dispatch service (logged as
    ``manual`` with the top recommendation it overrode; capacity enforced).

    :raises NotFoundError: no such request.
    :raises ConflictError: ``expected_version`` is given and stale.
    :raises AppError: REQUEST_CLOSED, REQUEST_ALREADY_ASSIGNED, REQUEST_NOT_ASSIGNABLE, EXECUTOR_NOT_VERIFIED,
        EXECUTOR_LACKS_SPECIALIZATION, EXECUTOR_AT_CAPACITY.
    """
    # Imported when called, as requests.public does: apps whose services read this module must not reach, through
    # assignment's services, up to their own public module.
    services = importlib.import_module("ukbot.assignment.services")
    row = services.assignment_manual(
        number=number, executor_id=executor_id, actor_id=actor_id, reason=reason, expected_version=expected_version
    )
    return AssignmentRef(
        assignment_id=row.pk,
        request_number=row.request_number,
        executor_id=row.executor_id,
        score=row.score,
        overrode=row.overrode,
    )


def executor_lock(*, executor_id: int) -> None:
    """Hold the lock dispatch takes before giving ``executor_id`` work, until the caller's transaction ends: an
    executor claiming from the pool takes it before locking the request, then counts their load."""
    locks.executor_lock(executor_id)


def executor_capacity() -> int:
    """Return how many open requests one executor may hold (the dispatch settings)."""
    selectors = importlib.import_module("ukbot.assignment.selectors")
    return int(selectors.settings_get().capacity)
