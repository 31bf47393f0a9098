"""Celery tasks of `requests` (scheduled by beat in ``ukbot.celery``): the SLA sweep and auto-acceptance."""

from __future__ import annotations

from celery import shared_task

from ukbot.requests import sla


@shared_task(name="ukbot.requests.sla_sweep", ignore_result=True)
def sla_sweep() -> int:
    return sla.sla_sweep()


@shared_task(name="ukbot.requests.auto_accept", ignore_result=True)
def auto_accept() -> int:
    return sla.auto_accept_sweep()
