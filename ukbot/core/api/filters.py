"""The API's filter backends: django-filter's with its ``FilterSet`` built once per view, and DRF's ordering with
the primary key as the last tie-break.

``FilterBackend`` and ``FastFilterSet`` lean on django-filter's internals and live in :mod:`ukbot.core.api.fast`;
they are re-exported here, where the settings and the views name them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from rest_framework import filters
from rest_framework.request import Request
from rest_framework.views import APIView

from ukbot.core.api.fast import FastFilterSet, FilterBackend

__all__ = ["FastFilterSet", "FilterBackend", "OrderingFilter", "with_tiebreak"]


class OrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=``, with the primary key last unless the ordering names it: rows that tie on the chosen
    fields (many requests share an urgency) then keep their places from one page to the next."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> Sequence[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or queryset is None:
            return ordering
        return with_tiebreak(ordering, queryset.model._meta.pk.name)


def with_tiebreak(ordering: Sequence[str], pk_name: str) -> list[str]:
    """``ordering`` (field names, ``-`` for descending) ending with the primary key unless it names it already."""
    names = {field.lstrip("-") for field in ordering}
    return list(ordering) if names & {"pk", pk_name} else [*ordering, pk_name]
