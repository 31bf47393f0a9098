"""Celery tasks of `notifications`: deliver what is due (kicked on commit by ``enqueue``, and swept by beat), and
work off a bulk send. Interfaces only: the work is in the services."""

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
