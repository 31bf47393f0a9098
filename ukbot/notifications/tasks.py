"""Celery tasks of `notifications`: deliver what is due (kicked on commit by ``enqueue``, and swept by beat)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ukbot.notifications.deliver", ignore_result=True)
def deliver() -> int:
    from ukbot.notifications.delivery import deliver_due

    return deliver_due()
