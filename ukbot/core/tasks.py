"""Celery tasks of the shared kernel: the event relay, its periodic sweep, and idempotency-key expiry."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ukbot.core.relay_events", ignore_result=True)
def relay_events() -> int:
    from ukbot.core.events.relay import drain

    return drain()


@shared_task(name="ukbot.core.sweep_events", ignore_result=True)
def sweep_events() -> int:
    """Deliver what no kick announced: retries whose back-off has passed, and commits whose kick was lost."""
    from ukbot.core.events.relay import drain

    return drain(max_seconds=20.0)


@shared_task(name="ukbot.core.purge_delivered_events", ignore_result=True)
def purge_delivered_events() -> int:
    from datetime import timedelta

    from django.conf import settings

    from ukbot.core.events.relay import purge_delivered

    return purge_delivered(older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS), batch=settings.RETENTION_BATCH)


@shared_task(name="ukbot.core.expire_idempotency_keys", ignore_result=True)
def expire_idempotency_keys() -> int:
    from django.conf import settings

    from ukbot.core.idempotency import expire_keys

    return expire_keys(batch=settings.RETENTION_BATCH)
