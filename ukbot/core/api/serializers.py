"""Serializer bases for API input."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ukbot.core.api.fast import declared_fields_copy


class StrictSerializer(serializers.Serializer):
    """Input that refuses fields it does not know, naming each, instead of silently dropping them.

    Its fields are copied shallowly for each instance (:func:`~ukbot.core.api.fast.declared_fields_copy`): input
    serializers never change their own fields, and DRF's deep copy cost more than validating a create's input.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return declared_fields_copy(self)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)
