"""Page/per_page pagination producing the ``meta`` and ``links`` of the success envelope (DESIGN §8)."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from ukbot.core.api.renderers import mark_enveloped

TOTAL = "pagination_total"  # the annotation carrying the total on each row of a page read in one query


def _page_number(raw) -> int | None:
    """A plain page number (1, 2, …) or None for anything else (``last``, junk), which the generic path handles."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def _one_query(queryset) -> bool:
    """Whether ``COUNT(*) OVER ()`` on the page's rows is the count of the whole list: a plain list of model rows,
    not made distinct, grouped, combined or already sliced."""
    if not isinstance(queryset, QuerySet) or queryset._iterable_class is not ModelIterable:
        return False
    query = queryset.query
    return not (query.distinct or query.combinator or query.is_sliced or query.group_by is not None)


class PagePagination(PageNumberPagination):
    """Page/per_page pagination that reads a page and the list's total in one query where it can.

    DRF counts the list and then reads the page: two queries, each built and compiled by the ORM, which for a
    small list cost more than the database's work. A page of plain model rows is read with its total as a window
    count instead. An empty page (an empty list, or a page past the end) and anything that is not a plain list of
    model rows take DRF's path, so totals, errors and links are the same either way.
    """

    page_query_param = "page"
    page_size_query_param = "per_page"

    @property
    def max_page_size(self) -> int:  # read at request time so tests can override the setting
        return settings.API_MAX_PER_PAGE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        bounds = self.page_bounds(request)
        if bounds is None or not _one_query(queryset):
            return super().paginate_queryset(queryset, request, view)
        number, page_size = bounds
        offset = (number - 1) * page_size
        rows = list(queryset.annotate(**{TOTAL: Window(Count("*"))})[offset : offset + page_size])
        if not rows:
            return super().paginate_queryset(queryset, request, view)
        total = getattr(rows[0], TOTAL)
        for row in rows:
            delattr(row, TOTAL)
        return self.page_of(rows, total=total, number=number, page_size=page_size, request=request)

    def page_bounds(self, request) -> tuple[int, int] | None:
        """The page number and size a query asks for, or None where only DRF's path can tell (``?page=last``,
        junk, no pagination)."""
        page_size = self.get_page_size(request)
        number = _page_number(request.query_params.get(self.page_query_param) or 1)
        return None if not page_size or number is None else (number, page_size)

    def page_of(self, rows: list, *, total: int, number: int, page_size: int, request) -> list:
        """Take ``rows``, a non-empty page read together with the list's ``total``, as the page to answer with."""
        self.request = request
        paginator = self.django_paginator_class(rows, page_size)
        paginator.count = total  # a cached property: this is the value it would have counted
        self.page = Page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows

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
