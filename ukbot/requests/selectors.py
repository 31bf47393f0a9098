"""Read queries of `requests`, with the visibility rules of who may see which request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import Count, Q, QuerySet

from ukbot.core.db import from_row, select_list
from ukbot.requests.models import Attachment, Comment, Material, MaterialStatus, Request, StatusChange
from ukbot.requests.statuses import FINAL, IN_HANDS, Actor, Category, Status
from ukbot.shifts import public as shifts_public
from ukbot.users import public as users_public


def requests_visible_to(*, account_id: int, actor_kind: str) -> QuerySet[Request]:
    """Requests a person may read acting as ``actor_kind``: managers all; executors those assigned to them;
    applicants their own and those of apartments they share (read-only)."""
    requests = Request.objects.all()
    if actor_kind == Actor.MANAGER:
        return requests
    if actor_kind == Actor.EXECUTOR:
        return requests.filter(executor_id=account_id)
    apartments = users_public.apartment_ids_of(account_id=account_id)
    if not apartments:
        return requests.filter(applicant_id=account_id)
    return requests.filter(Q(applicant_id=account_id) | Q(apartment_id__in=apartments))


# --- a page of the requests list in one hand-written statement ---------------------------------------------------
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
    """A page of :func:`requests_visible_to`, narrowed as the list's filters narrow it (``filters``: the cleaned
    values of those in ``PAGE_FILTERS``, none empty), each search term matching one of ``search_fields``
    (case-insensitive substring), ordered by ``ordering`` (model field names, ``-`` for descending), with the
    number of requests in the whole list; ``([], 0)`` for a page past the end."""
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return f"{quote('r')}.{quote(Request._meta.get_field(name).column)}"

    where, params = [], []
    if actor_kind == Actor.EXECUTOR:
        where.append(f"{column('executor_id')} = %s")
        params.append(account_id)
    elif actor_kind != Actor.MANAGER:
        apartments = users_public.apartment_ids_of(account_id=account_id)
        if apartments:
            where.append(f"({column('applicant_id')} = %s OR {column('apartment_id')} = ANY(%s))")
            params += [account_id, list(apartments)]
        else:
            where.append(f"{column('applicant_id')} = %s")
            params.append(account_id)
    for name, value in filters.items():
        if name in PAGE_MATCH_ANY:
            where.append(f"{column(PAGE_MATCH_ANY[name])} = ANY(%s)")
            params.append(sorted(set(value)))
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


def request_get(*, number: str) -> Request | None:
    """The request with this number, whoever asks (callers apply their own rules), or None."""
    return Request.objects.filter(pk=number).first()


def requests_none() -> QuerySet[Request]:
    """An empty queryset of requests (for schema generation)."""
    return Request.objects.none()


def comments_for(*, number: str, actor_kind: str) -> QuerySet[Comment]:
    """The comments of a request, oldest first; applicants never see internal ones."""
    comments = Comment.objects.filter(request_id=number)
    return comments.filter(internal=False) if actor_kind == Actor.APPLICANT else comments


def comments_none() -> QuerySet[Comment]:
    """An empty queryset of comments (for schema generation)."""
    return Comment.objects.none()


def pool_for(*, executor_id: int) -> QuerySet[Request]:
    """New, unassigned requests an executor may claim now: of categories their trades cover, while on shift in
    that trade (a universal trade or shift covers every category). Empty off shift."""
    trades = set(users_public.specializations_of(account_id=executor_id))
    on_shift = set(shifts_public.active_specializations(executor_id=executor_id))
    categories = [
        category
        for category in Category.values
        if (needed := users_public.category_specialization(category=category))
        and (needed in trades or "universal" in trades)
        and (needed in on_shift or "universal" in on_shift)
    ]
    return Request.objects.filter(status=Status.NEW, executor_id__isnull=True, category__in=categories)


def history_of(*, number: str) -> QuerySet[StatusChange]:
    """The history of a request, oldest first."""
    return StatusChange.objects.filter(request_id=number)


def materials_of(*, number: str) -> QuerySet[Material]:
    """The material lines of a request, oldest first."""
    return Material.objects.filter(request_id=number)


def material_get(*, material_id: int) -> Material | None:
    return Material.objects.filter(pk=material_id).first()


def materials_waiting() -> QuerySet[Material]:
    """Material lines waiting for a manager: requested (to approve or reject) or approved (to issue), of requests
    still open, oldest first."""
    return (
        Material.objects.filter(status__in=(MaterialStatus.REQUESTED, MaterialStatus.APPROVED))
        .exclude(request__status__in=FINAL)
        .order_by("created_at", "pk")
    )


def executors_by_load(*, specialization: str) -> list[tuple[users_public.ExecutorRef, int]]:
    """The verified executors of ``specialization`` (or universal), each with their load (the requests in their
    hands), least busy first, then higher level, then by name: whom to assign next."""
    candidates = users_public.verified_executors(specialization=specialization)
    load = dict(
        Request.objects.filter(executor_id__in=[c.account_id for c in candidates], status__in=IN_HANDS)
        .order_by()
        .values("executor_id")
        .annotate(open=Count("pk"))
        .values_list("executor_id", "open")
    )
    ranked = sorted(candidates, key=lambda c: (load.get(c.account_id, 0), -c.level, c.full_name))
    return [(candidate, load.get(candidate.account_id, 0)) for candidate in ranked]


def attachments_of(*, number: str) -> QuerySet[Attachment]:
    """The files attached to a request, oldest first."""
    return Attachment.objects.filter(request_id=number)


def history_none() -> QuerySet[StatusChange]:
    return StatusChange.objects.none()


def materials_none() -> QuerySet[Material]:
    return Material.objects.none()


def attachments_none() -> QuerySet[Attachment]:
    return Attachment.objects.none()
