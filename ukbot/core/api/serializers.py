"""Serializer bases for API input."""

from __future__ import annotations

import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _copy_field(field):
    # A nested serializer or a field with a child binds that child to itself, so it needs a copy of its own.
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child"):
        return copy.deepcopy(field)
    return copy.copy(field)


class StrictSerializer(serializers.Serializer):
    """Input that refuses fields it does not know, naming each, instead of silently dropping them.

    Its fields are copied shallowly for each instance: DRF deep-copies every declared field (re-running its
    constructor) so that an instance may change its own fields, which input serializers here never do, and that
    cost more than validating a create's input. Each copy is still bound to its own serializer; validators and
    choices, fixed when the class is declared, are shared.
    """

    def get_fields(self):
        return {name: _copy_field(field) for name, field in self._declared_fields.items()}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


def client_ip(request) -> str | None:
    """The address the request came from, as the web server saw it."""
    return request.META.get("REMOTE_ADDR") or None
