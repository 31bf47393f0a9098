"""Bulk sends: one message to a role, a building's residents or a list of people, queued in batches by a task."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import NotFoundError, ValidationFailedError
from ukbot.notifications.models import BulkJob, Channel
from ukbot.notifications.services.messages import _check_message, _send_one
from ukbot.users import public as users_public

logger = logging.getLogger(__name__)

BULK_BATCH = 500


def _audience_ids(audience: dict) -> list[int]:
    if "role" in audience:
        return list(users_public.people_with_role(role=audience["role"]))
    if "building_id" in audience:
        return list(users_public.residents_of_building(building_id=audience["building_id"]))
    return sorted({int(account_id) for account_id in audience.get("account_ids", ())})


def _audience_label(audience: dict) -> str:
    if "role" in audience:
        return f"role: {audience['role']}"
    if "building_id" in audience:
        label = users_public.building_labels(building_ids=[audience["building_id"]]).get(audience["building_id"], "")
        return f"building #{audience['building_id']} {label}".strip()[:200]
    return f"{len(audience.get('account_ids', ()))} people"


def _check_audience(audience: Any) -> dict:
    if not isinstance(audience, dict) or len(audience) != 1:
        raise ValidationFailedError(details={"audience": _("Name one of role, building_id or account_ids.")})
    if "role" in audience:
        if audience["role"] not in users_public.ROLES:
            raise ValidationFailedError(details={"audience.role": _("Unknown role.")})
    elif "building_id" in audience:
        building_id = audience["building_id"]
        if isinstance(building_id, bool) or not isinstance(building_id, int) or building_id <= 0:
            raise ValidationFailedError(details={"audience.building_id": _("An id is a positive integer.")})
        if not users_public.building_labels(building_ids=[building_id]):
            raise ValidationFailedError(details={"audience.building_id": _("No such building.")})
    elif "account_ids" in audience:
        ids = audience["account_ids"]
        if (
            not isinstance(ids, list)
            or not 0 < len(ids) <= 10000
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
        ):
            raise ValidationFailedError(details={"audience.account_ids": _("List 1 to 10,000 account ids.")})
    else:
        raise ValidationFailedError(details={"audience": _("Name one of role, building_id or account_ids.")})
    return audience


@transaction.atomic
def bulk_job_create(
    *,
    created_by: int,
    audience: dict,
    channel: str = Channel.TELEGRAM,
    text: str | None = None,
    title: str = "",
    template: str | None = None,
    variables: dict | None = None,
    urgent: bool = False,
) -> BulkJob:
    """Record a bulk send to a role, a building's residents or a list of people and queue it (a Celery task
    creates the messages in batches after commit).

    :raises ValidationFailedError: a bad audience or message (as :func:`notification_send`).
    """
    _check_message(text=text, template=template, variables=variables, channel=channel)
    audience = _check_audience(audience)
    message = {"text": text, "title": title} if template is None else {"template": template, "variables": variables}
    job = BulkJob.objects.create(
        created_by=created_by,
        audience=audience,
        audience_label=_audience_label(audience),
        channel=channel,
        message=message,
        urgent=urgent,
        total=len(_audience_ids(audience)),
    )
    from ukbot.notifications.tasks import bulk_send  # the task module imports this one

    transaction.on_commit(lambda: bulk_send.delay(job_id=job.pk))
    return job


def bulk_job_run(*, job_id: int, batch_size: int = BULK_BATCH) -> BulkJob:
    """Create the messages of a bulk send in batches (one transaction each), counting progress as it goes.

    Safe to run again (a retried task): every message has a dedupe key of the job and the person, so those queued
    before count as skipped and nobody gets it twice.

    :raises NotFoundError: no such job.
    """
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise NotFoundError(_("No such bulk send."))
        if job.status == BulkJob.Status.DONE:
            return job
        ids = _audience_ids(job.audience)
        job.status, job.total, job.queued, job.skipped = BulkJob.Status.RUNNING, len(ids), 0, 0
        job.save(update_fields=["status", "total", "queued", "skipped"])
    message = job.message
    try:
        for start in range(0, len(ids), batch_size):
            with transaction.atomic():
                queued = skipped = 0
                for account_id in ids[start : start + batch_size]:
                    row = _send_one(
                        account_id=account_id,
                        channel=job.channel,
                        text=message.get("text"),
                        title=message.get("title") or "",
                        template=message.get("template"),
                        variables=message.get("variables"),
                        urgent=job.urgent,
                        dedupe_key=f"bulk:{job.pk}:{account_id}:{job.channel}",
                        bulk_job_id=job.pk,
                    )
                    queued, skipped = queued + (row is not None), skipped + (row is None)
                BulkJob.objects.filter(pk=job.pk).update(queued=F("queued") + queued, skipped=F("skipped") + skipped)
    except Exception as exc:
        BulkJob.objects.filter(pk=job.pk).update(
            status=BulkJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        logger.exception("bulk send failed", extra={"bulk_job_id": job.pk})
        raise
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job
