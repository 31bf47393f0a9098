"""Page/per_page pagination producing the ``meta`` and ``links`` of the success envelope (DESIGN §8)."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework import serializers
from rest_framework.response import Response

from ukbot.core.api.fast import OneQueryPagination
from ukbot.core.api.renderers import mark_enveloped


class PagePagination(OneQueryPagination):
    """Page/per_page pagination: a page and the list's total in one query where it can be
    (:class:`~ukbot.core.api.fast.OneQueryPagination`), answered in the envelope of DESIGN §8."""

    page_query_param = "page"
    page_size_query_param = "per_page"

    @property
    def max_page_size(self) -> int:  # read at request time so tests can override the setting
        return settings.API_MAX_PER_PAGE

    # DRF answers junk in ``page`` with NOT_FOUND "Invalid page." and ignores junk in ``per_page``; both are refused
    # as VALIDATION_ERROR naming the parameter (decision 0026). A page past the end stays NOT_FOUND, and a
    # ``per_page`` above API_MAX_PER_PAGE is served as API_MAX_PER_PAGE, as the document says.
    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(_positive_int(self.page_size_query_param, raw), self.max_page_size)

    def page_bounds(self, request) -> tuple[int, int] | None:
        # Every path asks this first (OneQueryPagination.paginate_queryset and the hand-written pages).
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings:
            _positive_int(self.page_query_param, raw)
        return super().page_bounds(request)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1 (or `last`); a page past the end answers NOT_FOUND.",
                "schema": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, from 1 (default {self.page_size}); more than API_MAX_PER_PAGE "
                f"({self.max_page_size}) are served as {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def get_paginated_response(self, data) -> Response:
        response = Response(
            {
                "data": data,
                "meta": {
                    "total": self.page.paginator.count,
                    "page": self.page.number,
                    "per_page": self.page.paginator.per_page,
                },
                "links": {
                    "self": self.request.build_absolute_uri(),
                    "next": self.get_next_link(),
                    "prev": self.get_previous_link(),
                },
            }
        )
        return mark_enveloped(response)  # already data/meta/links: the renderer must not wrap it again

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["data", "meta", "links"],
            "properties": {
                "data": schema,
                "meta": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                    },
                },
                "links": {
                    "type": "object",
                    "properties": {
                        "self": {"type": "string", "format": "uri"},
                        "next": {"type": "string", "format": "uri", "nullable": True},
                        "prev": {"type": "string", "format": "uri", "nullable": True},
                    },
                },
            },
        }


_DIGITS = re.compile(r"[0-9]+")


def _positive_int(name: str, raw: str) -> int:
    """``raw`` as a whole number from 1, or VALIDATION_ERROR naming the parameter (``abc``, ``0``, ``-1``, ``1e3``,
    ``2.5`` and blanks are refused: the document says ``integer, minimum 1``)."""
    field = serializers.IntegerField(min_value=1)
    if not _DIGITS.fullmatch(raw):
        raise serializers.ValidationError({name: [field.error_messages["invalid"]]})
    try:
        return field.run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None
