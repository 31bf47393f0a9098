"""Celery tasks of `media`: the virus scan of an upload (retried while clamd is down) and a sweep for lost ones."""

from __future__ import annotations

from celery import Task, shared_task

from ukbot.media import clamd, services

MAX_RETRIES = 6


@shared_task(name="ukbot.media.scan", bind=True, ignore_result=True, max_retries=MAX_RETRIES, acks_late=True)
def scan(self: Task, *, media_id: str) -> str:
    try:
        return services.media_scan(media_id=media_id)
    except clamd.ScannerError as exc:
        # 30 s, 1, 2, 4 … 16 min; after that the file stays "error" until media_rescan_pending queues it again
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(name="ukbot.media.rescan_pending", ignore_result=True)
def rescan_pending() -> int:
    return services.media_rescan_pending()
