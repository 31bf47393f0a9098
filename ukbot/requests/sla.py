"""Service levels of requests: deadlines by urgency and the company's lifecycle settings (both edited in admin)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext, override

from ukbot.core.errors import AppError
from ukbot.core.events import publish
from ukbot.requests.events import REQUEST_SLA_BREACHED, SlaBreached
from ukbot.requests.models import Request, Settings, SlaPolicy

logger = logging.getLogger(__name__)

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
REACTION_PENDING = ("new",)
RESOLUTION_PENDING = ("new", "assigned", "in_progress", "waiting_materials", "clarification", "returned")


def _reaction_pending() -> Q:
    # A question to the applicant does not pause the clock: a new request in clarification still has nobody assigned.
    return Q(status__in=REACTION_PENDING) | Q(status="clarification", status_before_clarification__in=REACTION_PENDING)


def _resolution_pending() -> Q:
    return Q(status__in=RESOLUTION_PENDING)


def overdue_q(*, now: datetime) -> Q:
    """Requests past a deadline they have not met yet: nobody assigned in time, or the work not reported done."""
    return (_reaction_pending() & Q(reaction_deadline__lt=now)) | (
        _resolution_pending() & Q(resolution_deadline__lt=now)
    )


def is_overdue(*, request: Request, now: datetime) -> bool:
    """Whether one loaded request is past a deadline it has not met yet (the same test as :func:`overdue_q`)."""
    reaction = request.status in REACTION_PENDING or (
        request.status == "clarification" and request.status_before_clarification in REACTION_PENDING
    )
    resolution = request.status in RESOLUTION_PENDING
    return bool(
        (reaction and request.reaction_deadline and request.reaction_deadline < now)
        or (resolution and request.resolution_deadline and request.resolution_deadline < now)
    )


def _breach_due(kind: str, *, now: datetime) -> Q:
    pending = _reaction_pending() if kind == "reaction" else _resolution_pending()
    return pending & Q(**{f"{kind}_deadline__lt": now, f"{kind}_breached_at__isnull": True})


def sla_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Stamp every request newly past a pending deadline and publish ``request.sla_breached`` once per breach.

    Each batch is one transaction that locks its rows with SKIP LOCKED: concurrent sweeps share the work and never
    publish a breach twice, and a row held by a service meanwhile is left for the next sweep. The stamp is written
    with a plain UPDATE, so ``version`` (the clients' optimistic lock) and the history stay as they were.
    Returns the number of breaches published.
    """
    now = now or timezone.now()
    published = 0
    for kind in ("reaction", "resolution"):
        while True:
            with transaction.atomic():
                due = list(
                    Request.objects.select_for_update(skip_locked=True)
                    .filter(_breach_due(kind, now=now))
                    .order_by(f"{kind}_deadline", "number")[:batch]
                )
                if not due:
                    break
                Request.objects.filter(pk__in=[request.pk for request in due]).update(**{f"{kind}_breached_at": now})
                for request in due:
                    publish(
                        REQUEST_SLA_BREACHED,
                        subject=request.number,
                        data=SlaBreached(
                            number=request.number,
                            kind=kind,
                            deadline=getattr(request, f"{kind}_deadline").isoformat(),
                            urgency=request.urgency,
                            status=request.status,
                            executor_id=request.executor_id,
                        ),
                    )
                published += len(due)
    return published


def auto_accept_sweep(*, now: datetime | None = None) -> int:
    """Accept, as the system, confirmed work the applicant neither accepted nor returned in ``auto_accept_days``.

    A request changed since it was listed (returned, or confirmed again) fails its move on the version check and is
    skipped, as is any other refused or failed move (logged); the rest go on. Returns how many were accepted.
    """
    from ukbot.requests import services  # services imports this module

    now = now or timezone.now()
    days = settings_get().auto_accept_days
    due = list(
        Request.objects.filter(status="confirmed", confirmed_at__lte=now - timedelta(days=days))
        .order_by("confirmed_at", "number")
        .values_list("number", "version")
    )
    if not due:
        return 0
    # History is read by everybody, so it is written in the company's language, not the one of whoever is active.
    with override(django_settings.LANGUAGE_CODE):
        reason = ngettext(
            "Accepted automatically: no answer in %(days)d day.",
            "Accepted automatically: no answer in %(days)d days.",
            days,
        ) % {"days": days}
    accepted = 0
    for number, version in due:
        try:
            services.request_move(
                number=number,
                to_status="accepted",
                actor_kind="system",
                actor_id=None,
                reason=reason,
                expected_version=version,
            )
        except AppError as error:
            logger.warning("auto-accept: skipped request %s (%s)", number, error.code)
            continue
        except Exception:
            # Each move is its own transaction, already rolled back: one broken request must not hold up the others.
            logger.exception("auto-accept: failed on request %s", number)
            continue
        accepted += 1
    return accepted
