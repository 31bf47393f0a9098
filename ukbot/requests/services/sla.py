"""The sweeps of service levels: stamping breached deadlines, and accepting work nobody answered."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext, override

from ukbot.core.errors import AppError
from ukbot.core.events import publish
from ukbot.requests import sla
from ukbot.requests.events import REQUEST_SLA_BREACHED, SlaBreached
from ukbot.requests.models import Request
from ukbot.requests.services.moves import request_move
from ukbot.requests.statuses import Actor, Status

logger = logging.getLogger(__name__)


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
                    .filter(sla.breach_due_q(kind, now=now))
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
    now = now or timezone.now()
    days = sla.settings_get().auto_accept_days
    due = list(
        Request.objects.filter(status=Status.CONFIRMED, confirmed_at__lte=now - timedelta(days=days))
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
            request_move(
                number=number,
                to_status=Status.ACCEPTED,
                actor_kind=Actor.SYSTEM,
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
