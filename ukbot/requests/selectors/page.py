"""A page of the requests list in one hand-written statement: the API's busiest read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection

from ukbot.core.db import from_row, select_list
from ukbot.requests.models import Request
from ukbot.requests.selectors.access import visibility_of

# The list is the API's busiest read. Built through the ORM (visibility, filters, search, ordering, a window count)
# its query cost about three times what the database took to run it; written out here it is one statement.
# What it does not cover (other filters, odd values) the caller sends down the ORM path, and
# ``test_requests_page_matches_the_orm`` keeps the two equal.
PAGE_MATCH_ANY = {"status": "status", "category": "category", "urgency": "urgency"}  # filter: column, value a list
PAGE_IDS = {  # filter: column, value an int
    "executor": "executor_id",
    "applicant": "applicant_id",
    "yard": "yard_id",
    "building": "building_id",
    "apartment": "apartment_id",
}
PAGE_EQUAL = {"source": "source", **PAGE_IDS}
PAGE_RANGE = {"created_from": ("created_at", ">="), "created_to": ("created_at", "<")}
PAGE_FILTERS = frozenset(PAGE_MATCH_ANY) | frozenset(PAGE_EQUAL) | frozenset(PAGE_RANGE)


def requests_page(
    *,
    account_id: int,
    actor_kind: str,
    filters: Mapping[str, object],
    search_fields: Sequence[str],
    search_terms: Sequence[str],
    ordering: Sequence[str],
    offset: int,
    limit: int,
) -> tuple[list[Request], int]:
    """Return a page of the requests the person may see (:func:`~.access.visibility_of`), narrowed as the list's
    filters narrow it (``filters``: the cleaned values of those in ``PAGE_FILTERS``, none empty), each search term
    matching one of ``search_fields`` (case-insensitive substring), ordered by ``ordering`` (model field names,
    ``-`` for descending), with the number of requests in the whole list; ``([], 0)`` for a page past the end."""
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return f"{quote('r')}.{quote(Request._meta.get_field(name).column)}"  # type: ignore[union-attr,arg-type]

    where: list[str] = []
    params: list[Any] = []
    seen = visibility_of(account_id=account_id, actor_kind=actor_kind)
    if not seen.everything:
        matches: list[str] = []
        for field, values in seen.any_of:
            if len(values) == 1:
                matches.append(f"{column(field)} = %s")
                params.append(values[0])
            else:
                matches.append(f"{column(field)} = ANY(%s)")
                params.append(list(values))
        where.append(f"({' OR '.join(matches)})")
    for name, value in filters.items():
        if name in PAGE_MATCH_ANY:
            where.append(f"{column(PAGE_MATCH_ANY[name])} = ANY(%s)")
            params.append(sorted(set(value)))  # type: ignore[call-overload]
        elif name in PAGE_EQUAL:
            where.append(f"{column(PAGE_EQUAL[name])} = %s")
            params.append(value)
        else:
            field, operator = PAGE_RANGE[name]
            where.append(f"{column(field)} {operator} %s")
            params.append(value)
    for term in search_terms:
        pattern = f"%{connection.ops.prep_for_like_query(term)}%"
        where.append("(" + " OR ".join(f"UPPER({column(f)}::text) LIKE UPPER(%s)" for f in search_fields) + ")")
        params += [pattern] * len(search_fields)
    order = ", ".join(f"{column(f.lstrip('-'))} {'DESC' if f.startswith('-') else 'ASC'}" for f in ordering)
    sql = (
        f"SELECT {select_list(Request, alias='r')}, COUNT(*) OVER ()"
        f" FROM {quote(Request._meta.db_table)} {quote('r')}"
        f" WHERE {' AND '.join(where) or 'TRUE'}"
        f"{f' ORDER BY {order}' if order else ''} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        rows = cursor.fetchall()
    return [from_row(Request, row) for row in rows], rows[0][-1] if rows else 0
