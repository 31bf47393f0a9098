"""Celery tasks of `notifications`: deliver what is due (kicked on commit by ``enqueue``, and swept by beat), work
off a bulk send, and purge old finished notifications. Interfaces only: the work is in the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ukbot.notifications.deliver", ignore_result=True)
def deliver() -> int:
    from ukbot.notifications.services.delivery import deliver_due

    return deliver_due()


@shared_task(name="ukbot.notifications.bulk_send", ignore_result=True, acks_late=True)
def bulk_send(*, job_id: int) -> int:
    from ukbot.notifications import services

    return services.bulk_job_run(job_id=job_id).queued


@shared_task(name="ukbot.notifications.purge", ignore_result=True)
def purge() -> int:
    from datetime import timedelta

    from django.conf import settings

    from ukbot.notifications import services

    return services.notifications_purge(
        older_than=timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS), batch=settings.RETENTION_BATCH
    )
