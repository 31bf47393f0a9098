"""Celery tasks of `requests` (scheduled by beat in ``ukbot.celery``): the SLA sweep and auto-acceptance."""

from __future__ import annotations

from celery import shared_task

from ukbot.requests import services


@shared_task(name="ukbot.requests.sla_sweep", ignore_result=True)
def sla_sweep() -> int:
    return services.sla_sweep()


@shared_task(name="ukbot.requests.auto_accept", ignore_result=True)
def auto_accept() -> int:
    return services.auto_accept_sweep()
