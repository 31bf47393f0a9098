"""Serializer bases for API input."""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ukbot.core.api.fast import declared_fields_copy


def _type_errors(field: serializers.Field, value: Any) -> Any:
    """What is wrong with the JSON type of ``value`` for ``field`` (DRF's own message), or None.

    DRF's CharField takes a number or a boolean as its text and BooleanField takes 0, 1, "yes" or "on": a JSON
    client that sends those has made a mistake the OpenAPI document (``type: string``/``boolean``) refuses, so the
    server refuses it too. Lists and dicts are checked item by item; nested serializers check themselves.
    """
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else [field.error_messages["invalid"]]
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else [field.error_messages["invalid"]]
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        items = {index: _type_errors(field.child, item) for index, item in enumerate(value)}
        return {index: error for index, error in items.items() if error} or None
    if isinstance(field, serializers.DictField) and isinstance(value, dict):
        entries = {key: _type_errors(field.child, item) for key, item in value.items()}
        return {key: error for key, error in entries.items() if error} or None
    return None


class StrictSerializer(serializers.Serializer):
    """Input that refuses fields it does not know, naming each, instead of silently dropping them.

    In a JSON body it also refuses values of the wrong JSON type that DRF would coerce (a number for text, 0/1 or
    "yes" for a boolean); form and query data, where every value is text, keep DRF's parsing. The OpenAPI document
    says the same (``additionalProperties: false``; ApiAutoSchema reads ``refuses_unknown_fields``).

    Its fields are copied shallowly for each instance (:func:`~ukbot.core.api.fast.declared_fields_copy`): input
    serializers never change their own fields, and DRF's deep copy cost more than validating a create's input.
    """

    refuses_unknown_fields = True

    def get_fields(self) -> dict[str, serializers.Field]:
        return declared_fields_copy(self)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, Any] = {name: [_("Unknown field.")] for name in sorted(set(data) - set(self.fields))}
            if not isinstance(data, QueryDict):  # JSON: types are the client's own
                for name, field in self.fields.items():
                    if name in data and not field.read_only:
                        wrong = _type_errors(field, data[name])
                        if wrong:
                            errors[name] = wrong
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


CLOCK_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field(
    {"type": "string", "pattern": CLOCK_TIME_PATTERN, "example": "22:00", "description": "Local time, HH:MM[:SS]."}
)
class ClockTimeField(serializers.TimeField):
    """A time of day on the person's clock: ``HH:MM`` or ``HH:MM:SS``, written back as ``HH:MM:SS``.

    It has no UTC offset (the person's time zone says where the clock is), so OpenAPI's ``format: time`` (RFC
    3339 ``full-time``, offset required) would describe it wrongly; the document gives the pattern instead and the
    field refuses anything else, fractions and offsets included (decision 0026).
    """

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(CLOCK_TIME_PATTERN, value):
            self.fail("invalid", format="hh:mm, hh:mm:ss")  # DRF's message, translated by DRF
        return super().to_internal_value(value)
