"""Which requests a person may see, and what they may do with one: the rules of :mod:`ukbot.requests.access`
applied to the database. Every adapter (API, bot, admin, media's read rule) asks these."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NoReturn

from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable

from ukbot.requests import access
from ukbot.requests.models import Attachment, Comment, Request, StatusChange
from ukbot.requests.statuses import Actor, Category, Status
from ukbot.shifts import public as shifts_public
from ukbot.users import public as users_public


@dataclass(frozen=True)
class Visibility:
    """The requests a person reads: all of them, or those whose ``field`` holds one of ``values`` for any of the
    pairs of ``any_of``. The ORM filter and the hand-written page statement are both built from it."""

    everything: bool
    any_of: tuple[tuple[str, tuple[int, ...]], ...] = ()


def visibility_of(*, account_id: int, actor_kind: str) -> Visibility:
    """Return which requests a person acting as ``actor_kind`` reads (the pool apart): managers all; executors
    those assigned to them; applicants their own and those of apartments they are approved for."""
    if actor_kind == Actor.MANAGER:
        return Visibility(everything=True)
    if actor_kind == Actor.EXECUTOR:
        return Visibility(everything=False, any_of=(("executor_id", (account_id,)),))
    apartments = tuple(users_public.apartment_ids_of(account_id=account_id))
    own = ("applicant_id", (account_id,))
    return Visibility(everything=False, any_of=(own, ("apartment_id", apartments)) if apartments else (own,))


def requests_visible_to(*, account_id: int, actor_kind: str) -> QuerySet[Request]:
    """Return the requests a person may read acting as ``actor_kind`` (see :func:`visibility_of`; an executor's
    pool is :func:`pool_for`)."""
    seen = visibility_of(account_id=account_id, actor_kind=actor_kind)
    if seen.everything:
        return Request.objects.all()
    condition = Q()
    for field, values in seen.any_of:
        condition |= Q(**{field: values[0]}) if len(values) == 1 else Q(**{f"{field}__in": values})
    return Request.objects.filter(condition)


def pool_categories(*, executor_id: int) -> list[str]:
    """Return the categories an executor may claim requests of now: those their trades cover, while on shift in
    that trade (a universal trade or shift covers every category). None off shift."""
    trades = set(users_public.specializations_of(account_id=executor_id))
    on_shift = set(shifts_public.active_specializations(executor_id=executor_id))
    return [
        category
        for category in Category.values
        if (needed := users_public.category_specialization(category=category))
        and (needed in trades or "universal" in trades)
        and (needed in on_shift or "universal" in on_shift)
    ]


def pool_for(*, executor_id: int) -> QuerySet[Request]:
    """Return the new, unassigned requests an executor may claim now (:func:`pool_categories`); empty off shift."""
    categories = pool_categories(executor_id=executor_id)
    return Request.objects.filter(status=Status.NEW, executor_id__isnull=True, category__in=categories)


def _seen(*, account_id: int, actor_kind: str, number: str) -> tuple[Request | None, bool]:
    """Request ``number`` if the person may see it, and whether they see the whole of it (not a pool card)."""
    request = requests_visible_to(account_id=account_id, actor_kind=actor_kind).filter(pk=number).first()
    if request is None and actor_kind == Actor.EXECUTOR:
        request = pool_for(executor_id=account_id).filter(pk=number).first()
    if request is None:
        return None, False
    return request, access.sees_whole(request, actor_kind=actor_kind, account_id=account_id)


def _read_only(*args: object, **kwargs: object) -> NoReturn:
    raise TypeError("a pool card is a view of a request, not a row to save")


def pool_card_of(request: Request) -> Request:
    """Return what an executor who may claim ``request`` sees of it (:func:`access.sees_whole`): a read-only copy
    without the contact phone or feedback and with the beginning of the description only."""
    card = copy.copy(request)
    card.contact_phone = ""
    card.feedback = ""
    card.description = access.pool_description(request.description)
    card.save = _read_only  # type: ignore[method-assign]
    card.delete = _read_only  # type: ignore[method-assign]
    return card


class _PoolCards(ModelIterable):
    """Rows of the pool as pool cards, whatever the caller filters, orders or slices."""

    def __iter__(self) -> Iterator[Request]:
        for request in super().__iter__():
            yield pool_card_of(request)


def pool_cards_for(*, executor_id: int) -> QuerySet[Request]:
    """Return the pool of an executor (:func:`pool_for`) as they see it: pool cards (:func:`pool_card_of`)."""
    cards = pool_for(executor_id=executor_id)
    cards._iterable_class = _PoolCards
    return cards


def request_for(*, account_id: int, actor_kind: str, number: str) -> Request | None:
    """Return request ``number`` if the person may see it acting as ``actor_kind`` (an executor also a request of
    their pool, as its pool card: :func:`pool_card_of`), else None: a request they may not see looks the same as a
    missing one."""
    request, whole = _seen(account_id=account_id, actor_kind=actor_kind, number=number)
    if request is None or whole:
        return request
    return pool_card_of(request)


def request_files_readable(*, account_id: int, actor_kind: str, number: str) -> bool:
    """Whether the person may read the files attached to request ``number``: those who see the whole of it."""
    request, whole = _seen(account_id=account_id, actor_kind=actor_kind, number=number)
    return request is not None and whole


def comments_shown_to(*, account_id: int, actor_kind: str, number: str) -> QuerySet[Comment] | None:
    """Return the comments of request ``number`` the person reads, oldest first: internal ones for managers only,
    none on a pool card; None when they may not see the request."""
    request, whole = _seen(account_id=account_id, actor_kind=actor_kind, number=number)
    if request is None:
        return None
    comments = Comment.objects.filter(request_id=number)
    if not whole:
        return comments.none()
    return comments if access.reads_internal(actor_kind=actor_kind) else comments.filter(internal=False)


def history_shown_to(*, account_id: int, actor_kind: str, number: str) -> QuerySet[StatusChange] | None:
    """Return the history of request ``number`` for the person, oldest first: none on a pool card (it names who
    acted); None when they may not see the request."""
    request, whole = _seen(account_id=account_id, actor_kind=actor_kind, number=number)
    if request is None:
        return None
    changes = StatusChange.objects.filter(request_id=number)
    return changes if whole else changes.none()


def attachments_shown_to(*, account_id: int, actor_kind: str, number: str) -> QuerySet[Attachment] | None:
    """Return the files attached to request ``number`` for the person, oldest first: none on a pool card; None
    when they may not see the request."""
    request, whole = _seen(account_id=account_id, actor_kind=actor_kind, number=number)
    if request is None:
        return None
    attachments = Attachment.objects.filter(request_id=number)
    return attachments if whole else attachments.none()


def request_moves_for(*, request: Request, account_id: int | None, actor_kind: str) -> list[str]:
    """Return the statuses the person may move ``request`` (one they may see) to now, sorted."""
    return access.moves_for(request, actor_kind=actor_kind, account_id=account_id)
