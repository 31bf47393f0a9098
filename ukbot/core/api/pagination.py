"""Page/per_page pagination producing the ``meta`` and ``links`` of the success envelope (DESIGN §8)."""

from __future__ import annotations

from django.conf import settings
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
