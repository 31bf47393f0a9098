"""Service levels of requests: deadlines by urgency, what counts as overdue, and the company's lifecycle
settings (both edited in admin). Reads only, but for :func:`settings_get`, which restores the settings row if an
admin deleted it; the sweeps that stamp breaches and accept work are in :mod:`ukbot.requests.services.sla`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from ukbot.requests.models import Request, Settings, SlaPolicy
from ukbot.requests.statuses import IN_HANDS, Status

# Used when a policy row is missing (the migration seeds these; an admin may have deleted one).
DEFAULT_SLA_MINUTES: dict[str, tuple[int, int]] = {
    "critical": (30, 4 * 60),
    "high": (2 * 60, 24 * 60),
    "medium": (8 * 60, 3 * 24 * 60),
    "low": (24 * 60, 7 * 24 * 60),
}


def deadlines_for(*, urgency: str, created_at: datetime) -> tuple[datetime, datetime]:
    """The reaction and resolution deadlines of a request of ``urgency`` created at ``created_at``."""
    policy = SlaPolicy.objects.filter(urgency=urgency).values_list("reaction_minutes", "resolution_minutes").first()
    return deadlines_from(urgency=urgency, minutes=policy, created_at=created_at)


def deadlines_from(*, urgency: str, minutes: tuple[int, int] | None, created_at: datetime) -> tuple[datetime, datetime]:
    """The deadlines of a request of ``urgency`` created at ``created_at`` from its policy's reaction and
    resolution minutes, already read (None when the policy row is missing: the defaults apply)."""
    reaction, resolution = minutes if minutes is not None else DEFAULT_SLA_MINUTES[urgency]
    return created_at + timedelta(minutes=reaction), created_at + timedelta(minutes=resolution)


def settings_get() -> Settings:
    """The lifecycle settings (the single row, created with defaults if missing)."""
    settings, _created = Settings.objects.get_or_create(id=1)
    return settings


# a deadline is pending while the request has not yet reached the stage it measures
REACTION_PENDING = frozenset({Status.NEW})
RESOLUTION_PENDING = frozenset({Status.NEW} | IN_HANDS)
_REACTION_PENDING, _RESOLUTION_PENDING = sorted(REACTION_PENDING), sorted(RESOLUTION_PENDING)  # stable SQL


def _reaction_pending() -> Q:
    # A question to the applicant does not pause the clock: a new request in clarification still has nobody assigned.
    return Q(status__in=_REACTION_PENDING) | Q(
        status=Status.CLARIFICATION, status_before_clarification__in=_REACTION_PENDING
    )


def _resolution_pending() -> Q:
    return Q(status__in=_RESOLUTION_PENDING)


def overdue_q(*, now: datetime) -> Q:
    """Requests past a deadline they have not met yet: nobody assigned in time, or the work not reported done."""
    return (_reaction_pending() & Q(reaction_deadline__lt=now)) | (
        _resolution_pending() & Q(resolution_deadline__lt=now)
    )


def is_overdue(*, request: Request, now: datetime) -> bool:
    """Whether one loaded request is past a deadline it has not met yet (the same test as :func:`overdue_q`)."""
    reaction = request.status in REACTION_PENDING or (
        request.status == Status.CLARIFICATION and request.status_before_clarification in REACTION_PENDING
    )
    resolution = request.status in RESOLUTION_PENDING
    return bool(
        (reaction and request.reaction_deadline and request.reaction_deadline < now)
        or (resolution and request.resolution_deadline and request.resolution_deadline < now)
    )


def breach_due_q(kind: str, *, now: datetime) -> Q:
    """Requests past their ``kind`` (reaction or resolution) deadline, still pending, with no breach stamped yet."""
    pending = _reaction_pending() if kind == "reaction" else _resolution_pending()
    return pending & Q(**{f"{kind}_deadline__lt": now, f"{kind}_breached_at__isnull": True})
