"""What a person is shown of requests outside the API (the bot's cards and lists): frozen dataclasses read under
the access rules, so an adapter never refines a queryset or holds a model instance."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation

from ukbot.requests import access, sla
from ukbot.requests.models import HistoryAction, Material, Request
from ukbot.requests.selectors.access import pool_cards_for, request_for, requests_visible_to
from ukbot.requests.selectors.records import history_of, materials_of, materials_waiting
from ukbot.requests.statuses import FINAL, Status
from ukbot.users import public as users_public

HISTORY_SHOWN = 8  # the last moves a card shows
ORDERS = {"newest": ("-created_at", "-number"), "oldest": ("created_at", "number")}
Order = Literal["newest", "oldest"]


@dataclass(frozen=True)
class HistoryLine:
    """A move in a request's history: when, to which status, and why."""

    at: datetime
    to_status: str
    reason: str


@dataclass(frozen=True)
class RequestCard:
    """A request as one person sees it: what, where, its state, the tail of its history, and what they may do.

    ``moves`` are the statuses this person may move it to now; ``party`` says whether they act on it at all (its
    applicant, its executor, a manager: co-residents and an executor looking into the pool only read it);
    ``closed`` that it is accepted or cancelled and takes no more work; ``question`` is the manager's open question
    while the request waits in clarification (else empty); ``history`` holds the last moves, oldest first.
    ``address`` is where it is, in the reader's language (:func:`place_of_request`).
    """

    number: str
    status: str
    category: str
    urgency: str
    address: str
    description: str
    created_at: datetime
    resolution_deadline: datetime | None
    rating: int | None
    applicant_id: int
    executor_id: int | None
    version: int
    overdue: bool
    moves: tuple[str, ...]
    party: bool
    closed: bool
    question: str
    has_materials: bool
    history: tuple[HistoryLine, ...]


def place_of_request(request: Request) -> users_public.PlaceRef:
    """Where the request is, as `users` renders it: its place ids, entrance, floor and address snapshot."""
    return users_public.PlaceRef(
        building_id=request.building_id,
        apartment_id=request.apartment_id,
        entrance=request.entrance,
        floor=request.floor,
        snapshot=request.address,
    )


def _addresses(requests: Sequence[Request], language: str | None) -> tuple[str, ...]:
    """Where each request is, in ``language`` (the active one when None: these are views for a reader), read for
    all of them at once."""
    if not requests:
        return ()
    places = [place_of_request(request) for request in requests]
    reader = language or translation.get_language() or settings.LANGUAGE_CODE
    return users_public.places_render(places=places, language=reader)


def request_card(*, account_id: int, actor_kind: str, number: str, language: str | None = None) -> RequestCard | None:
    """Return request ``number`` as the person sees it acting as ``actor_kind``, its address in ``language`` (the
    active one when None), or None when they may not see it (:func:`~.access.request_for`). An executor's pool
    card has the beginning of the description and no history, question or materials."""
    request = request_for(account_id=account_id, actor_kind=actor_kind, number=number)
    if request is None:
        return None
    whole = access.sees_whole(request, actor_kind=actor_kind, account_id=account_id)
    changes = list(
        history_of(number=number)
        .filter(action__in=(HistoryAction.CREATED, HistoryAction.MOVED))
        .values_list("at", "to_status", "reason")
    )
    if not whole:
        changes = []  # a pool card: what it needs to be claimed, not who did what (access.sees_whole)
    question = ""
    if request.status == Status.CLARIFICATION:
        asked = [reason for _at, to_status, reason in changes if to_status == Status.CLARIFICATION]
        question = asked[-1] if asked else ""
    return RequestCard(
        number=request.number,
        status=request.status,
        category=request.category,
        urgency=request.urgency,
        address=_addresses([request], language)[0],
        description=request.description,
        created_at=request.created_at,
        resolution_deadline=request.resolution_deadline,
        rating=request.rating,
        applicant_id=request.applicant_id,
        executor_id=request.executor_id,
        version=request.version,
        overdue=sla.is_overdue(request=request, now=timezone.now()),
        moves=tuple(access.moves_for(request, actor_kind=actor_kind, account_id=account_id)),
        party=access.may_act(request, actor_kind=actor_kind, account_id=account_id),
        closed=request.status in FINAL,
        question=question,
        has_materials=whole and request.materials.exists(),
        history=tuple(HistoryLine(at, to_status, reason) for at, to_status, reason in changes[-HISTORY_SHOWN:]),
    )


@dataclass(frozen=True)
class RequestLine:
    """A request as a list shows it; ``address`` in the reader's language."""

    number: str
    status: str
    category: str
    description: str
    overdue: bool
    address: str = ""


@dataclass(frozen=True)
class LinePage:
    """A page of a list of requests and how many the whole list holds."""

    lines: tuple[RequestLine, ...]
    total: int


def _page(requests: QuerySet[Request], *, order: Order, offset: int, limit: int, language: str | None) -> LinePage:
    total = requests.count()
    now = timezone.now()
    rows = list(requests.order_by(*ORDERS[order])[offset : offset + limit]) if total else []
    return LinePage(
        lines=tuple(
            RequestLine(r.number, r.status, r.category, r.description, sla.is_overdue(request=r, now=now), address)
            for r, address in zip(rows, _addresses(rows, language), strict=True)
        ),
        total=total,
    )


def request_lines(
    *,
    account_id: int,
    actor_kind: str,
    statuses: Collection[str] | None = None,
    overdue: bool = False,
    filed_by_me: bool = False,
    order: Order = "newest",
    offset: int = 0,
    limit: int = 5,
    language: str | None = None,
) -> LinePage:
    """Return a page of the requests the person may see acting as ``actor_kind``, narrowed to ``statuses``, to
    those past a deadline (``overdue``) and to those they filed themselves (``filed_by_me``: an applicant's
    list also holds their co-residents' requests); addresses in ``language`` (the active one when None)."""
    requests = requests_visible_to(account_id=account_id, actor_kind=actor_kind)
    if statuses is not None:
        requests = requests.filter(status__in=sorted(statuses))
    if overdue:
        requests = requests.filter(sla.overdue_q(now=timezone.now()))
    if filed_by_me:
        requests = requests.filter(applicant_id=account_id)
    return _page(requests, order=order, offset=offset, limit=limit, language=language)


def pool_lines(*, executor_id: int, offset: int = 0, limit: int = 5, language: str | None = None) -> LinePage:
    """Return a page of the requests an executor may claim now (:func:`~.access.pool_for`), newest first; addresses
    in ``language`` (the active one when None)."""
    return _page(pool_cards_for(executor_id=executor_id), order="newest", offset=offset, limit=limit, language=language)


@dataclass(frozen=True)
class MaterialEntry:
    """A line of materials as a manager's screen shows it: what, how much, for which request, where it stands."""

    material_id: int
    number: str
    item: str
    quantity: Decimal  # normalised: 2, not 2.000
    unit: str
    status: str


@dataclass(frozen=True)
class MaterialPage:
    """A page of material lines and how many the whole list holds."""

    entries: tuple[MaterialEntry, ...]
    total: int


def _entry(material: Material) -> MaterialEntry:
    return MaterialEntry(
        material_id=material.pk,
        number=material.request_id,
        item=material.item,
        quantity=material.quantity.normalize(),
        unit=material.unit,
        status=material.status,
    )


def request_materials(*, number: str) -> tuple[MaterialEntry, ...]:
    """Return the material lines of request ``number``, oldest first (none for a request without any)."""
    return tuple(_entry(material) for material in materials_of(number=number))


def materials_waiting_page(*, offset: int = 0, limit: int = 5) -> MaterialPage:
    """Return a page of the material lines waiting for a manager (:func:`~.records.materials_waiting`), oldest
    first."""
    waiting = materials_waiting()
    total = waiting.count()
    rows = waiting[offset : offset + limit] if total else []
    return MaterialPage(entries=tuple(_entry(material) for material in rows), total=total)
