"""Read queries of `assignment`: the settings, the log, and the recommendations for a request.

The recommendations read the world through the other apps' ``public`` modules (the request, the executors, their
shifts, loads and track records, the buildings' coordinates), turn it into the scoring core's dataclasses and rank
(:mod:`ukbot.assignment.scoring`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.assignment import scoring
from ukbot.assignment.models import Assignment, Settings
from ukbot.core.errors import AppError, NotFoundError
from ukbot.requests import public as requests_public
from ukbot.shifts import public as shifts_public
from ukbot.users import public as users_public

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


REASON_TEXTS = {
    scoring.NOT_VERIFIED: _("not a verified executor"),
    scoring.LACKS_SPECIALIZATION: _("lacks the specialization"),
    scoring.OFF_SHIFT: _("off shift"),
    scoring.AT_CAPACITY: _("at capacity"),
    scoring.WOULD_MISS_DEADLINE: _("would miss the deadline"),
}


def reason_text(code: str) -> StrOrPromise:
    """How an exclusion reason reads, in the active language (the code itself for an unknown one)."""
    return REASON_TEXTS.get(code, code)


def settings_get() -> Settings:
    """The dispatch settings (the single row, created with defaults if missing)."""
    settings, _created = Settings.objects.get_or_create(id=1)
    return settings


def rules_of(settings: Settings) -> scoring.Rules:
    """The scoring core's rules from the settings row."""
    return scoring.Rules(
        weights=scoring.Weights(**{name: float(getattr(settings, f"weight_{name}")) for name in scoring.PARTS}),
        capacity=settings.capacity,
        road_factor=float(settings.road_factor),
        speed_kmh=float(settings.speed_kmh),
    )


def assignment_list() -> QuerySet[Assignment]:
    """Every assignment made, newest first."""
    return Assignment.objects.all()


def check_assignable(brief: requests_public.DispatchBrief) -> None:
    """Refuse a request that cannot be given out now, with the code that says why.

    :raises AppError: REQUEST_CLOSED, REQUEST_ALREADY_ASSIGNED or REQUEST_NOT_ASSIGNABLE.
    """
    if brief.final:
        raise AppError("REQUEST_CLOSED", _("Request %(number)s is closed.") % {"number": brief.number})
    if brief.executor_id is not None:
        raise AppError(
            "REQUEST_ALREADY_ASSIGNED",
            _("Request %(number)s already has an executor.") % {"number": brief.number},
        )
    if not brief.assignable:
        raise AppError(
            "REQUEST_NOT_ASSIGNABLE",
            _("Request %(number)s is not new, so it cannot be given out now.") % {"number": brief.number},
        )


def request_for_dispatch(*, number: str) -> requests_public.DispatchBrief:
    """The request ``number`` as dispatch reads it.

    :raises NotFoundError: no such request.
    """
    brief = requests_public.dispatch_brief(number=number)
    if brief is None:
        raise NotFoundError(_("No such request."))
    return brief


def _point(pair: tuple[float, float] | None) -> scoring.Point | None:
    return scoring.Point(*pair) if pair is not None else None


def _shift(slot: shifts_public.ShiftSlot) -> scoring.Shift:
    return scoring.Shift(
        shift_id=slot.shift_id,
        specialization=slot.specialization,
        active=slot.active,
        start=slot.start,
        end=slot.end,
        start_point=_point(slot.start_point),
        live_point=_point(slot.live_point),
    )


@dataclass(frozen=True)
class Recommendation:
    """The ranking for a request, with what it was made from: the request, its trade and the rules."""

    request: requests_public.DispatchBrief
    specialization: str
    rules: scoring.Rules
    ranking: scoring.Ranking
    at: datetime


def job_of(brief: requests_public.DispatchBrief, *, specialization: str) -> scoring.Job:
    """The scoring core's job for a request: the trade, the building's coordinates, the deadlines."""
    points = users_public.building_points(building_ids=[brief.building_id]) if brief.building_id else {}
    location = points.get(brief.building_id) if brief.building_id is not None else None
    return scoring.Job(
        number=brief.number,
        specialization=specialization,
        location=_point(location),
        deadline=brief.resolution_deadline,
        reaction_deadline=brief.reaction_deadline,
    )


def candidates_for(
    *, specialization: str, reaction_deadline: datetime | None, settings: Settings, now: datetime, also: Iterable[int]
) -> list[scoring.Candidate]:
    """The people to weigh for work of ``specialization``: the verified executors of the trade (or universal), those
    on shift in it (or planned to start before ``reaction_deadline``), and ``also`` (a manager's choice)."""
    slots = shifts_public.dispatch_shifts(specialization=specialization, starting_before=reaction_deadline)
    ids = {ref.account_id for ref in users_public.verified_executors(specialization=specialization)}
    ids |= {slot.executor_id for slot in slots} | set(also)
    facts = users_public.executor_facts(account_ids=ids)
    ids = set(facts)  # people without a profile cannot be weighed (nor assigned)
    shifts: dict[int, list[scoring.Shift]] = {}
    for slot in slots:
        if slot.executor_id in ids:
            shifts.setdefault(slot.executor_id, []).append(_shift(slot))
    loads = requests_public.open_loads(executor_ids=ids)
    records = requests_public.track_records(executor_ids=ids, since=now - timedelta(days=settings.track_record_days))
    last_buildings = requests_public.last_job_buildings(executor_ids=ids)
    points = users_public.building_points(building_ids=set(last_buildings.values()))
    return [
        scoring.Candidate(
            executor_id=account_id,
            name=facts[account_id].full_name,
            verified=facts[account_id].verified,
            levels=facts[account_id].levels,
            shifts=tuple(shifts.get(account_id, ())),
            open_load=loads.get(account_id, 0),
            last_job_point=_point(points.get(last_buildings.get(account_id, -1))),
            ratings=records[account_id].ratings,
            finished=records[account_id].finished,
            returned=records[account_id].returned,
        )
        for account_id in sorted(ids)
    ]


def recommendations_for(
    *, number: str, also: Iterable[int] = (), now: datetime | None = None, check: bool = True
) -> Recommendation:
    """Rank the executors for request ``number`` (:mod:`ukbot.assignment.scoring`), best first, with those excluded
    and why; ``also`` adds people to weigh beyond the trade's executors (a manager's choice).

    :raises NotFoundError: no such request.
    :raises AppError: (with ``check``) REQUEST_CLOSED, REQUEST_ALREADY_ASSIGNED, REQUEST_NOT_ASSIGNABLE.
    """
    now = now or timezone.now()
    brief = request_for_dispatch(number=number)
    if check:
        check_assignable(brief)
    specialization = users_public.category_specialization(category=brief.category)
    settings = settings_get()
    rules = rules_of(settings)
    candidates = candidates_for(
        specialization=specialization,
        reaction_deadline=brief.reaction_deadline,
        settings=settings,
        now=now,
        also=also,
    )
    job = job_of(brief, specialization=specialization)
    return Recommendation(
        request=brief,
        specialization=specialization,
        rules=rules,
        ranking=scoring.rank(job, candidates, rules, now),
        at=now,
    )
