"""Service levels of requests: deadlines by urgency and the company's lifecycle settings (both edited in admin)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from ukbot.requests.models import Settings, SlaPolicy

# Used when a policy row is missing (the migration seeds these; an admin may have deleted one).
DEFAULT_SLA_MINUTES: dict[str, tuple[int, int]] = {
    "critical": (30, 4 * 60),
    "high": (2 * 60, 24 * 60),
    "medium": (8 * 60, 3 * 24 * 60),
    "low": (24 * 60, 7 * 24 * 60),
}


def deadlines_for(*, urgency: str, created_at: datetime) -> tuple[datetime, datetime]:
    """The reaction and resolution deadlines of a request of ``urgency`` created at ``created_at``."""
    policy = SlaPolicy.objects.filter(urgency=urgency).first()
    if policy is not None:
        reaction, resolution = policy.reaction_minutes, policy.resolution_minutes
    else:
        reaction, resolution = DEFAULT_SLA_MINUTES[urgency]
    return created_at + timedelta(minutes=reaction), created_at + timedelta(minutes=resolution)


def settings_get() -> Settings:
    """The lifecycle settings (the single row, created with defaults if missing)."""
    settings, _created = Settings.objects.get_or_create(id=1)
    return settings


# a deadline is pending while the request has not yet reached the stage it measures
REACTION_PENDING = ("new",)
RESOLUTION_PENDING = ("new", "assigned", "in_progress", "waiting_materials", "clarification", "returned")


def overdue_q(*, now: datetime) -> Q:
    """Requests past a deadline they have not met yet: nobody assigned in time, or the work not reported done."""
    return Q(status__in=REACTION_PENDING, reaction_deadline__lt=now) | Q(
        status__in=RESOLUTION_PENDING, resolution_deadline__lt=now
    )
