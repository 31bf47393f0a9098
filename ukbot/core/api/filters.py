"""The API's filter backends: django-filter's with its ``FilterSet`` built once per view, and DRF's ordering with
the primary key as the last tie-break; and the filters every list shares (date-times PostgreSQL can take).

``FilterBackend`` and ``FastFilterSet`` lean on django-filter's internals and live in :mod:`ukbot.core.api.fast`;
they are re-exported here, where the settings and the views name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from rest_framework import filters
from rest_framework.request import Request
from rest_framework.views import APIView

from ukbot.core.api.fast import FastFilterSet, FilterBackend

__all__ = ["DateTimeFilter", "FastFilterSet", "FilterBackend", "OrderingFilter", "with_tiebreak"]

# PostgreSQL's timestamptz takes UTC offsets up to ±15:59:59; Python's datetime takes up to ±23:59:59, and a
# value between the two would reach the database and fail there.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59, seconds=59)


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


class PostgresDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time whose UTC offset PostgreSQL accepts (``-18:00`` is refused as an invalid date-time)."""

    def to_python(self, value: Any) -> datetime | None:
        value = super().to_python(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ``IsoDateTimeFilter`` for a list's date-time bounds, refusing offsets PostgreSQL refuses."""

    field_class = PostgresDateTimeField
