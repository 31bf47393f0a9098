"""Write use-cases of `assignment`: the one dispatch service every assignment goes through, and the settings.

:func:`dispatch` gives a new request to an executor in one transaction: it locks the executor (a transaction-scoped
advisory lock, so two dispatches to one person queue and the second sees the first's load), ranks the candidates,
refuses an executor the rules do not allow, moves the request through ``ukbot.requests.public`` (which locks the
request's row: of two dispatches of one request, the second finds it taken), logs the assignment with its score
and the top recommendation, and publishes ``assignment.created``. Manual assignment is :func:`assignment_manual`;
auto-dispatch and batch optimisation call :func:`dispatch` with their algorithm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from ukbot.assignment import scoring, selectors
from ukbot.assignment.events import ASSIGNMENT_CREATED, AssignmentCreated
from ukbot.assignment.locks import executor_lock
from ukbot.assignment.models import Algorithm, Assignment, Settings, SettingsChange
from ukbot.core.errors import AppError, InvalidTransitionError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.requests import public as requests_public

# Reasons the ranking excludes an executor that a manager may overrule (they know the executor is on the way, or
# the deadline is lost anyway), and those nobody may.
OVERRULABLE = frozenset({scoring.OFF_SHIFT, scoring.WOULD_MISS_DEADLINE})
REFUSALS: dict[str, tuple[str, Any]] = {
    scoring.NOT_VERIFIED: ("EXECUTOR_NOT_VERIFIED", _("This person is not a verified executor.")),
    scoring.LACKS_SPECIALIZATION: (
        "EXECUTOR_LACKS_SPECIALIZATION",
        _("This executor does not have the specialization the request needs."),
    ),
    scoring.AT_CAPACITY: (
        "EXECUTOR_AT_CAPACITY",
        _("This executor already holds as many open requests as the settings allow."),
    ),
}


def _parts(scored: scoring.Scored | None) -> list[dict[str, Any]]:
    return [asdict(part) for part in scored.parts] if scored is not None else []


def dispatch(
    *,
    number: str,
    executor_id: int,
    algorithm: str,
    decided_by: int | None,
    reason: str = "",
    overrulable: frozenset[str] = OVERRULABLE,
    expected_version: int | None = None,
) -> Assignment:
    """Give new request ``number`` to ``executor_id``, decided by ``decided_by`` (None: the system) with
    ``algorithm``; log it with the executor's score and the top recommendation, publish ``assignment.created``.

    The executor must be verified, have the trade and be under capacity; the ranking's other exclusions
    (``overrulable``) are recorded in the log, not refused. ``expected_version`` is the request's version the
    caller read.

    :raises NotFoundError: no such request.
    :raises ConflictError: ``expected_version`` is stale.
    :raises AppError: REQUEST_CLOSED, REQUEST_ALREADY_ASSIGNED, REQUEST_NOT_ASSIGNABLE (also when another dispatch
        or a claim takes the request first); EXECUTOR_NOT_VERIFIED, EXECUTOR_LACKS_SPECIALIZATION,
        EXECUTOR_AT_CAPACITY; or the ranking's exclusion not in ``overrulable`` (UNPROCESSABLE).
    """
    if algorithm not in Algorithm.values:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    reason = (reason or "").strip()
    if len(reason) > 2000 or "\x00" in reason:
        raise ValidationFailedError(details={"reason": _("A reason is at most 2000 characters of text.")})
    with transaction.atomic():
        executor_lock(executor_id)  # first: the load read below then includes every earlier dispatch to them
        recommendation = selectors.recommendations_for(number=number, also=[executor_id])
        ranking = recommendation.ranking
        place, scored, excluded = ranking.find(executor_id)
        if scored is None and excluded is None:
            code, message = REFUSALS[scoring.NOT_VERIFIED]  # no profile at all
            raise AppError(code, message)
        if excluded is not None:
            for why in excluded.reasons:
                if why in REFUSALS:
                    code, message = REFUSALS[why]
                    raise AppError(code, message)
                if why not in overrulable:
                    raise AppError("UNPROCESSABLE", _("The ranking excludes this executor: %(why)s.") % {"why": why})
        try:
            requests_public.request_assign(
                number=number,
                executor_id=executor_id,
                actor_id=decided_by,
                reason=reason,
                expected_version=expected_version,
            )
        except InvalidTransitionError:
            # taken meanwhile (the row lock made us wait for the other transaction): say by whom, as a refusal
            selectors.check_assignable(selectors.request_for_dispatch(number=number))
            raise
        best = ranking.best
        row = Assignment.objects.create(
            request_number=number,
            executor_id=executor_id,
            algorithm=algorithm,
            score=scored.score if scored is not None else None,
            rank=place,
            parts=_parts(scored),
            exclusions=list(excluded.reasons) if excluded is not None else [],
            recommended_executor_id=best.executor_id if best is not None else None,
            recommended_score=best.score if best is not None else None,
            decided_by=decided_by,
            reason=reason,
        )
        publish(
            ASSIGNMENT_CREATED,
            subject=number,
            data=AssignmentCreated(
                assignment_id=row.pk,
                request_number=number,
                executor_id=executor_id,
                algorithm=algorithm,
                score=row.score,
                decided_by=decided_by,
                recommended_executor_id=row.recommended_executor_id,
            ),
        )
    return row


def assignment_manual(
    *, number: str, executor_id: int, actor_id: int, reason: str = "", expected_version: int | None = None
) -> Assignment:
    """A manager gives new request ``number`` to ``executor_id``: :func:`dispatch` with ``algorithm=manual``, the
    log recording the top recommendation the choice overrode.

    :raises NotFoundError: no such request.
    :raises ConflictError: ``expected_version`` is stale.
    :raises AppError: as :func:`dispatch`.
    """
    return dispatch(
        number=number,
        executor_id=executor_id,
        algorithm=Algorithm.MANUAL,
        decided_by=actor_id,
        reason=reason,
        expected_version=expected_version,
    )


# --- settings ------------------------------------------------------------------------------------------------------

WEIGHT_FIELDS = tuple(f"weight_{name}" for name in scoring.PARTS)
SETTINGS_FIELDS = (*WEIGHT_FIELDS, "capacity", "road_factor", "speed_kmh", "track_record_days")


def settings_problems(values: Mapping[str, Any]) -> dict[str | None, Any]:
    """What is wrong with a full set of settings values, by field (None: the weights as a whole); empty when fine."""
    problems: dict[str | None, Any] = {}
    numbers: dict[str, Decimal] = {}
    for name in SETTINGS_FIELDS:
        try:
            numbers[name] = Decimal(str(values[name]))
        except (KeyError, InvalidOperation, TypeError, ValueError):
            problems[name] = _("Give a number.")
            continue
        if not numbers[name].is_finite():
            problems[name] = _("Give a number.")
    weights = {name: float(numbers[name]) for name in WEIGHT_FIELDS if name in numbers and name not in problems}
    for name in WEIGHT_FIELDS:
        if name in weights and weights[name] < 0:
            problems[name] = _("A weight cannot be negative.")
        elif name in weights and weights[name] > 1000:
            problems[name] = _("A weight is at most 1000.")
    all_valid = len(weights) == len(WEIGHT_FIELDS) and not any(problems.get(n) for n in WEIGHT_FIELDS)
    if all_valid and not any(value > 0 for value in weights.values()):
        problems[None] = _("At least one weight must be above zero.")
    limits: dict[str, tuple[Decimal, Decimal, Any]] = {
        "capacity": (Decimal(1), Decimal(100), _("Capacity is a whole number from 1 to 100.")),
        "road_factor": (Decimal(1), Decimal(5), _("The road factor is from 1 to 5.")),
        "speed_kmh": (Decimal("0.1"), Decimal(200), _("The speed is above zero, at most 200 km/h.")),
        "track_record_days": (Decimal(1), Decimal(730), _("The track record is from 1 to 730 days.")),
    }
    for name, (low, high, message) in limits.items():
        if name in numbers and name not in problems and not (low <= numbers[name] <= high):
            problems[name] = message
    for name in ("capacity", "track_record_days"):
        if name in numbers and name not in problems and numbers[name] != numbers[name].to_integral_value():
            problems[name] = limits[name][2]
    return problems


def settings_update(*, actor_id: int | None, **values: Any) -> Settings:
    """Change the dispatch settings (the fields given; the others keep their values) and record who changed what,
    old and new, in their history. Nothing is recorded when nothing changed.

    :raises ValidationFailedError: a negative weight, all weights zero, a capacity below 1, a road factor below 1,
        a speed not above 0, or a value out of its range; nothing is changed.
    """
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        selectors.settings_get()
        row = Settings.objects.select_for_update().get(id=1)
        merged = {name: values.get(name, getattr(row, name)) for name in SETTINGS_FIELDS}
        problems = settings_problems(merged)
        if problems:
            raise ValidationFailedError(details=problems)
        changes: dict[str, list[str]] = {}
        for name in SETTINGS_FIELDS:
            field = cast("models.Field[Any, Any]", Settings._meta.get_field(name))
            new = field.to_python(merged[name])
            old = getattr(row, name)
            if Decimal(str(old)) != Decimal(str(new)):
                places = getattr(field, "decimal_places", 0)
                changes[name] = [f"{Decimal(str(old)):.{places}f}", f"{Decimal(str(new)):.{places}f}"]
                setattr(row, name, new)
        if changes:
            try:
                row.full_clean()
            except DjangoValidationError as exc:  # more decimal places than a field keeps, say
                raise ValidationFailedError(details={k: " ".join(v) for k, v in exc.message_dict.items()}) from None
            row.save()
            SettingsChange.objects.create(changed_by=actor_id, changes=changes)
    return row
