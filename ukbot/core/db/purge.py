"""Retention purges in batches (docs/decisions/0030-retention-and-audit.md): each app deletes its own old rows
through :func:`delete_in_batches`, one short transaction per batch, so a purge of millions of rows never holds
long locks or one huge transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model, QuerySet


def delete_in_batches(queryset: QuerySet[Model], *, batch: int) -> int:
    """Delete the rows of ``queryset`` (and what cascades from them), ``batch`` at a time by primary key; return how
    many rows of the queryset's model went.

    Each batch re-applies the queryset's filter when it deletes: a row that changed meanwhile (a notification put
    back in the queue, a session used again) and no longer matches stays.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    model = queryset.model
    purged = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return purged
        with transaction.atomic():
            _total, per_model = queryset.filter(pk__in=ids).delete()
        purged += per_model.get(model._meta.label, 0)
        if len(ids) < batch:
            return purged
