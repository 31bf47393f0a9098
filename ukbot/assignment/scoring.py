"""How well an executor fits a request: plain Python, no Django, no database (decision 0037).

Dataclasses in, a ranking out: :func:`rank` takes a :class:`Job`, the :class:`Candidate` executors and the
:class:`Rules` (weights, capacity, road factor, city speed) at a moment ``now``, and returns the candidates who
may take the job, best first, each with its total and the parts that made it (the raw values behind each part
included), and those who may not, each with the reasons. The recommendations endpoint, the dispatch service, a
benchmark and a batch optimiser share it: whatever reads the world (the database, a simulation) builds the inputs.

Every part is a number from 0 (worst) to 1 (best); the total is the weighted mean of the parts, so it is from 0
to 1 too, and a weight of 0 switches its part off. The ranking is deterministic: equal totals are ordered by the
lighter load, then by the executor's id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

UNIVERSAL = "universal"
EARTH_RADIUS_KM = 6371.0088
TRAVEL_HALF_MINUTES = 20.0  # the travel part is 0.5 at this many minutes on the road, 1 on the spot
SHIFT_FULL_MINUTES = 240.0  # the shift-time part is 1 with this much of the shift left (or more), 0 at its end
DEFAULT_SHIFT_HOURS = 8  # a shift started on the spot has no planned end: it is taken to last this long
RATING_PRIOR, RATING_PRIOR_WEIGHT = 4.0, 3  # a newcomer's rating counts as three fours
RETURN_PRIOR_WEIGHT = 2  # a newcomer's return rate counts two clean jobs


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def haversine_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Weights:
    """How much each part counts; non-negative, not all zero (:func:`weights_problems`)."""

    skill: float = 1.0
    travel: float = 2.0
    load: float = 1.5
    rating: float = 1.0
    returns: float = 1.0
    shift_time: float = 0.5

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in PARTS}


PARTS = ("skill", "travel", "load", "rating", "returns", "shift_time")


@dataclass(frozen=True)
class Rules:
    """The settings the ranking reads: weights, open requests an executor may hold, and how travel is estimated
    (the straight line times ``road_factor``, driven at ``speed_kmh``)."""

    weights: Weights = field(default_factory=Weights)
    capacity: int = 8
    road_factor: float = 1.3
    speed_kmh: float = 25.0


def weights_problems(weights: Mapping[str, float]) -> dict[str, str]:
    """What is wrong with a set of weights, by part name (``None`` key: the set as a whole); empty when fine."""
    problems = {name: "negative" for name, value in weights.items() if value < 0 or not math.isfinite(value)}
    if not problems and not any(value > 0 for value in weights.values()):
        problems[""] = "all_zero"
    return problems


@dataclass(frozen=True)
class Job:
    """The request to give out: the trade it needs, where (None: the building has no coordinates), and by when an
    executor must be on the spot (None: no deadline) and by when someone must be chosen (the reaction deadline:
    executors whose planned shift starts after it are not candidates)."""

    number: str
    specialization: str
    location: Point | None
    deadline: datetime | None = None
    reaction_deadline: datetime | None = None


@dataclass(frozen=True)
class Shift:
    """The executor's shift that would take the job: in progress (``active``) or planned to start at ``start``.

    ``end`` is its planned end (None for a shift started on the spot: :data:`DEFAULT_SHIFT_HOURS` from its start).
    ``start_point`` is where they started it; ``live_point`` the last live location they shared on it.
    """

    shift_id: int
    specialization: str
    active: bool
    start: datetime | None
    end: datetime | None = None
    start_point: Point | None = None
    live_point: Point | None = None


@dataclass(frozen=True)
class Candidate:
    """An executor as the ranking sees them.

    ``levels`` are their specializations with levels (1-5); ``shifts`` those of their shifts that could take the
    job (active or planned); ``last_job_point`` is the building of their last finished job. The track record
    counts their jobs over the settings' window: ``ratings`` the applicants' ratings (1-5) of them, ``finished``
    the jobs they reported done and ``returned`` how many of those the applicants sent back.
    """

    executor_id: int
    name: str = ""
    verified: bool = True
    levels: Mapping[str, int] = field(default_factory=dict)
    shifts: tuple[Shift, ...] = ()
    open_load: int = 0
    last_job_point: Point | None = None
    ratings: tuple[int, ...] = ()
    finished: int = 0
    returned: int = 0


@dataclass(frozen=True)
class Part:
    """One part of a score: its value (0-1), its weight, what it added to the total, and the raw values behind it."""

    name: str
    value: float
    weight: float
    contribution: float
    raw: Mapping[str, object]


@dataclass(frozen=True)
class Scored:
    executor_id: int
    name: str
    score: float
    parts: tuple[Part, ...]
    travel_km: float | None
    travel_minutes: float | None
    origin: str | None  # live, shift_start, last_job; None: where they are is unknown
    arrival: datetime | None
    can_reach: bool | None  # None: unknown (no coordinates, or no deadline)
    open_load: int
    capacity: int
    shift_id: int
    on_shift: bool

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)


# Why an executor may not take the job, in the order they are told.
NOT_VERIFIED = "not_verified"
LACKS_SPECIALIZATION = "lacks_specialization"
OFF_SHIFT = "off_shift"
AT_CAPACITY = "at_capacity"
WOULD_MISS_DEADLINE = "would_miss_deadline"
REASONS = (NOT_VERIFIED, LACKS_SPECIALIZATION, OFF_SHIFT, AT_CAPACITY, WOULD_MISS_DEADLINE)


@dataclass(frozen=True)
class Excluded:
    executor_id: int
    name: str
    reasons: tuple[str, ...]
    scored: Scored | None = None  # the score they would have had, where one could be made (not for the unqualified)


@dataclass(frozen=True)
class Ranking:
    ranked: tuple[Scored, ...]
    excluded: tuple[Excluded, ...]

    @property
    def best(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None

    def find(self, executor_id: int) -> tuple[int | None, Scored | None, Excluded | None]:
        """Where ``executor_id`` stands: their place (from 1) and score if ranked, else their exclusion."""
        for place, scored in enumerate(self.ranked, start=1):
            if scored.executor_id == executor_id:
                return place, scored, None
        for excluded in self.excluded:
            if excluded.executor_id == executor_id:
                return None, excluded.scored, excluded
        return None, None, None


def level_for(candidate: Candidate, specialization: str) -> int | None:
    """The candidate's level in ``specialization``, else as ``universal``; None when they have neither."""
    levels = [candidate.levels[key] for key in (specialization, UNIVERSAL) if key in candidate.levels]
    return max(levels) if levels else None


def _shift_for(candidate: Candidate, job: Job, now: datetime) -> Shift | None:
    """The shift that would take the job: an active one in its trade (or universal), else the planned one that
    starts first, if it starts before the reaction deadline (any planned one when there is none)."""
    fitting = [s for s in candidate.shifts if s.specialization in (job.specialization, UNIVERSAL)]
    active = sorted((s for s in fitting if s.active), key=lambda s: s.shift_id)
    if active:
        return active[0]
    planned = sorted(
        (s for s in fitting if not s.active and s.start is not None and (s.end is None or s.end > now)),
        key=lambda s: (s.start, s.shift_id),
    )
    for shift in planned:
        if job.reaction_deadline is None or shift.start is None or shift.start <= job.reaction_deadline:
            return shift
    return None


def _origin(candidate: Candidate, shift: Shift) -> tuple[str | None, Point | None]:
    if shift.live_point is not None:
        return "live", shift.live_point
    if shift.start_point is not None:
        return "shift_start", shift.start_point
    if candidate.last_job_point is not None:
        return "last_job", candidate.last_job_point
    return None, None


def _shift_end(shift: Shift) -> datetime | None:
    if shift.end is not None:
        return shift.end
    return shift.start + timedelta(hours=DEFAULT_SHIFT_HOURS) if shift.start is not None else None


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def score(candidate: Candidate, job: Job, rules: Rules, now: datetime, shift: Shift) -> Scored:
    """Score one candidate on ``shift`` for ``job``: the parts, the total, the travel and whether they can make it."""
    level = level_for(candidate, job.specialization) or 1
    origin, point = _origin(candidate, shift)
    km = minutes = None
    if point is not None and job.location is not None:
        km = haversine_km(point, job.location) * rules.road_factor
        minutes = km / rules.speed_kmh * 60
    setout = max(now, shift.start) if shift.start is not None and not shift.active else now
    arrival = setout + timedelta(minutes=minutes) if minutes is not None else None
    can_reach = None if arrival is None or job.deadline is None else arrival <= job.deadline
    end = _shift_end(shift)
    left = max(0.0, (end - setout).total_seconds() / 60) if end is not None else None
    rated = len(candidate.ratings)
    rating = (sum(candidate.ratings) + RATING_PRIOR * RATING_PRIOR_WEIGHT) / (rated + RATING_PRIOR_WEIGHT)
    return_rate = candidate.returned / candidate.finished if candidate.finished else 0.0
    smoothed_returns = candidate.returned / (candidate.finished + RETURN_PRIOR_WEIGHT)
    values: dict[str, tuple[float, dict[str, object]]] = {
        "skill": ((level - 1) / 4, {"level": level}),
        "travel": (
            0.5 if minutes is None else 1 / (1 + minutes / TRAVEL_HALF_MINUTES),
            {
                "km": None if km is None else round(km, 2),
                "minutes": None if minutes is None else round(minutes, 1),
                "origin": origin,
            },
        ),
        "load": (
            _clamp(1 - candidate.open_load / rules.capacity),
            {"open": candidate.open_load, "capacity": rules.capacity},
        ),
        "rating": (_clamp((rating - 1) / 4), {"average": round(rating, 2), "rated": rated}),
        "returns": (
            _clamp(1 - smoothed_returns),
            {"rate": round(return_rate, 3), "returned": candidate.returned, "finished": candidate.finished},
        ),
        "shift_time": (
            1.0 if left is None else _clamp(left / SHIFT_FULL_MINUTES),
            {"minutes_left": None if left is None else round(left), "ends": None if end is None else end.isoformat()},
        ),
    }
    weights = rules.weights.as_dict()
    total_weight = sum(weights.values()) or 1.0
    parts = tuple(
        Part(
            name=name,
            value=round(values[name][0], 4),
            weight=weights[name],
            contribution=round(weights[name] * values[name][0] / total_weight, 4),
            raw=values[name][1],
        )
        for name in PARTS
    )
    total = sum(weights[name] * values[name][0] for name in PARTS) / total_weight
    return Scored(
        executor_id=candidate.executor_id,
        name=candidate.name,
        score=round(total, 4),
        parts=parts,
        travel_km=None if km is None else round(km, 2),
        travel_minutes=None if minutes is None else round(minutes, 1),
        origin=origin,
        arrival=arrival,
        can_reach=can_reach,
        open_load=candidate.open_load,
        capacity=rules.capacity,
        shift_id=shift.shift_id,
        on_shift=shift.active,
    )


def judge(candidate: Candidate, job: Job, rules: Rules, now: datetime) -> Scored | Excluded:
    """Score the candidate, or say why they may not take the job (every reason that applies, in :data:`REASONS`
    order). A deadline already passed excludes nobody: nobody can make it, and the fastest is still the best."""
    reasons = []
    if not candidate.verified:
        reasons.append(NOT_VERIFIED)
    if level_for(candidate, job.specialization) is None:
        reasons.append(LACKS_SPECIALIZATION)
    shift = _shift_for(candidate, job, now)
    if shift is None:
        reasons.append(OFF_SHIFT)
    if candidate.open_load >= rules.capacity:
        reasons.append(AT_CAPACITY)
    scored = score(candidate, job, rules, now, shift) if shift is not None else None
    if scored is not None and scored.can_reach is False and job.deadline is not None and job.deadline > now:
        reasons.append(WOULD_MISS_DEADLINE)
    if reasons:
        return Excluded(executor_id=candidate.executor_id, name=candidate.name, reasons=tuple(reasons), scored=scored)
    assert scored is not None
    return scored


def rank(job: Job, candidates: Iterable[Candidate], rules: Rules, now: datetime) -> Ranking:
    """Rank ``candidates`` for ``job``: the eligible best first (ties: lighter load, then lower id), and the
    excluded by id. A candidate listed twice counts once (the first)."""
    ranked: list[Scored] = []
    excluded: list[Excluded] = []
    seen: set[int] = set()
    for candidate in candidates:
        if candidate.executor_id in seen:
            continue
        seen.add(candidate.executor_id)
        verdict = judge(candidate, job, rules, now)
        (excluded if isinstance(verdict, Excluded) else ranked).append(verdict)  # type: ignore[arg-type]
    ranked.sort(key=lambda s: (-s.score, s.open_load, s.executor_id))
    excluded.sort(key=lambda e: e.executor_id)
    return Ranking(ranked=tuple(ranked), excluded=tuple(excluded))
