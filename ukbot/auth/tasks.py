"""Celery tasks of `auth` (scheduled by beat in ``ukbot.celery``): the retention purges. Interfaces only: the rules
are in the services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from ukbot.auth import services


@shared_task(name="ukbot.auth.purge_login_attempts", ignore_result=True)
def purge_login_attempts() -> int:
    return services.login_attempts_purge(
        older_than=timedelta(days=settings.AUTH_ATTEMPTS_RETENTION_DAYS), batch=settings.RETENTION_BATCH
    )


@shared_task(name="ukbot.auth.purge_sessions", ignore_result=True)
def purge_sessions() -> int:
    return services.sessions_purge(
        older_than=timedelta(days=settings.SESSIONS_RETENTION_DAYS), batch=settings.RETENTION_BATCH
    )
