"""The Celery task of bulk sends (an interface only: the work is :func:`services.bulk_job_run`).

Kept out of ``tasks.py`` (the delivery half's) and registered from ``NotificationsConfig.ready``.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ukbot.notifications.bulk_send", ignore_result=True, acks_late=True)
def bulk_send(*, job_id: int) -> int:
    from ukbot.notifications import services

    return services.bulk_job_run(job_id=job_id).queued
