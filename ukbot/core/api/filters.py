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
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ChoiceField as FilterChoiceField
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.request import Request
from rest_framework.views import APIView

from ukbot.core.api import fast
from ukbot.core.api.fast import FastFilterSet

__all__ = [
    "BooleanFilter",
    "ChoiceFilter",
    "DateTimeFilter",
    "FastFilterSet",
    "FilterBackend",
    "IdFilter",
    "OrderingFilter",
    "with_tiebreak",
]

# PostgreSQL's timestamptz takes UTC offsets up to ±15:59:59; Python's datetime takes up to ±23:59:59, and a
# value between the two would reach the database and fail there.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59, seconds=59)
# Ids are PostgreSQL bigints.
BIGINT_MAX = 2**63 - 1


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


class IdField(forms.IntegerField):
    """A whole number from 1 to the largest bigint: an id. ``-1``, ``1.5``, ``1e3`` or ``abc`` are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=BIGINT_MAX, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and not (value.isascii() and value.isdigit()):  # blank included
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(django_filters.NumberFilter):
    """A list's filter by the id of something (``?building=12``): refused as VALIDATION_ERROR unless an id."""

    field_class = IdField

    def get_max_validator(self) -> None:  # IdField has its own bounds
        return None


class TrueFalseField(forms.Field):
    """``true`` or ``false`` (any case), else refused, blank included: the document says ``boolean``, not
    ``1``/``yes``."""

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        text = str(value).lower()
        if text not in ("true", "false"):
            raise ValidationError(_("Must be true or false."), code="invalid")
        return text == "true"


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.Filter):
    """A list's yes/no filter (``?overdue=true``): ``true`` or ``false`` only; other values are refused, not
    ignored (django-filter's BooleanFilter also takes ``1``/``0`` and ignores anything else)."""

    field_class = TrueFalseField


class BlankRefusingChoiceField(FilterChoiceField):
    """A choice, refused when given blank (``?status=``): the document lists the choices, and blank is none."""

    def clean(self, value: Any) -> Any:
        if value == "":
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().clean(value)


class ChoiceFilter(django_filters.ChoiceFilter):
    """django-filter's ChoiceFilter refusing a blank value instead of ignoring it."""

    field_class = BlankRefusingChoiceField


class StrictFilterSet(FilterSet):
    """The base of the FilterSets built from a view's ``filterset_fields``: a field with choices gets our
    :class:`ChoiceFilter`."""

    @classmethod
    def filter_for_lookup(cls, field: Any, lookup_type: str) -> tuple[type, dict[str, Any]]:
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is django_filters.ChoiceFilter:
            filter_class = ChoiceFilter
        return filter_class, params


class FilterBackend(fast.FilterBackend):
    """The API's filter backend (:class:`~ukbot.core.api.fast.FilterBackend`) building on :class:`StrictFilterSet`."""

    filterset_base = StrictFilterSet
