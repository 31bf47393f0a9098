"""Read queries of the routing half of `notifications`: templates, history, bulk sends."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from ukbot.notifications.models import BulkJob, Notification, Template


def template_list() -> QuerySet[Template]:
    """Return every saved template, by kind, channel and language."""
    return Template.objects.order_by("event_type", "channel", "language")


def template_get(*, template_id: int) -> Template | None:
    """Return the template ``template_id``, or None."""
    return Template.objects.filter(pk=template_id).first()


def history_of(*, account_id: int | None) -> QuerySet[Notification]:
    """Return the messages to ``account_id`` (everybody's for None), newest first."""
    rows = Notification.objects.all() if account_id is None else Notification.objects.filter(account_id=account_id)
    return rows.order_by("-created_at", "-pk")


def bulk_job_get(*, job_id: int) -> BulkJob | None:
    """Return the bulk send ``job_id``, or None."""
    return BulkJob.objects.filter(pk=job_id).first()


def bulk_job_delivery(*, job_id: int) -> dict[str, int]:
    """Count the messages of a bulk send by delivery status (``queued``, ``sending``, ``sent``, ``failed``, …)."""
    rows = Notification.objects.filter(bulk_job_id=job_id).values_list("status").annotate(n=Count("pk"))
    return dict.fromkeys(Notification.Status.values, 0) | dict(rows)
