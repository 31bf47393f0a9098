"""Who acts on requests, and on which: the access rules every adapter (API, bot, admin, media) applies.

These are pure functions of a person and a request. The selectors apply them to the database (which requests a
person may see, which moves they may make: :mod:`ukbot.requests.selectors.access`) and the services enforce
them on every write (:mod:`ukbot.requests.services.moves`); adapters only call those.

- **Acting as.** A person acts on requests as a *manager* when they hold ``admin:requests`` (the manager and
  admin roles, and service accounts that file external alerts), as an *executor* when their active role is
  executor, and as an *applicant* otherwise (residents, and inspectors, who file requests as residents do).
- **Seeing.** Managers see every request; executors those assigned to them, and the pool of new requests their
  trades cover while they are on shift in that trade; applicants their own and those of the apartments they are
  approved for (read-only for co-residents).
- **Seeing how much.** A request of the pool is not the executor's yet: its *pool card* shows what deciding to
  claim it needs (category, urgency, place, the first :data:`POOL_DESCRIPTION_CHARS` characters of the
  description), never the contact phone, files, comments or history (:func:`sees_whole`). Once assigned to them,
  they see the whole request. Internal comments are read and written by managers only (:func:`reads_internal`:
  the scope table gives them to ``admin:requests``), never by executors or applicants.
- **Acting.** An applicant acts on their own requests only; an executor on those assigned to them, or claims a
  new unassigned one from the pool; managers and the system act on any.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from ukbot.requests.statuses import Actor, Source, Status, allowed_moves

MANAGE_REQUESTS = "admin:requests"  # the scope that makes a person act as a manager (DESIGN §8)
POOL_DESCRIPTION_CHARS = 200  # how much of the description a pool card shows


def actor_kind_for(*, role: str | None, scopes: Collection[str]) -> str:
    """Return how a person in ``role`` holding ``scopes`` acts on requests: manager, executor or applicant."""
    if MANAGE_REQUESTS in scopes:
        return Actor.MANAGER
    return Actor.EXECUTOR if role == "executor" else Actor.APPLICANT


class Party(Protocol):
    """What the rules read of a request (a row of the model, or anything with these attributes)."""

    status: str
    applicant_id: int
    executor_id: int | None
    status_before_clarification: str


def reads_internal(*, actor_kind: str) -> bool:
    """Whether a person acting as ``actor_kind`` reads and writes internal comments: managers only."""
    return actor_kind == Actor.MANAGER


def sees_whole(request: Party, *, actor_kind: str, account_id: int | None) -> bool:
    """Whether the person sees the whole of ``request`` (one they may see): everyone but an executor looking at a
    request of the pool, which is not theirs until they claim it and shows them its pool card only."""
    return actor_kind != Actor.EXECUTOR or (account_id is not None and request.executor_id == account_id)


def pool_description(text: str) -> str:
    """The beginning of a description a pool card shows: at most :data:`POOL_DESCRIPTION_CHARS` characters."""
    text = text.strip()
    if len(text) <= POOL_DESCRIPTION_CHARS:
        return text
    return text[: POOL_DESCRIPTION_CHARS - 1].rstrip() + "…"


def is_claim(*, actor_kind: str, to_status: str) -> bool:
    """Whether a move to ``to_status`` is an executor claiming a request from the pool (the only move to assigned
    an executor makes)."""
    return actor_kind == Actor.EXECUTOR and to_status == Status.ASSIGNED


def sources_for(*, actor_kind: str, role: str | None) -> frozenset[str]:
    """Return the sources a person may file a request from: residents and executors through the bot or the API,
    inspectors also from their rounds; phoned-in requests and external alerts are filed by managers (and service
    accounts holding ``admin:requests``), who may also file for another person."""
    if actor_kind == Actor.MANAGER:
        return frozenset(Source.values)
    own = {Source.BOT, Source.API}
    return frozenset(own | {Source.INSPECTION} if role == "inspector" else own)


def may_act(request: Party, *, actor_kind: str, account_id: int | None) -> bool:
    """Whether the person is a party to ``request`` in their kind: the applicant who filed it, the executor it is
    assigned to, a manager or the system. Claims from the pool are judged by the claim rule instead."""
    if actor_kind == Actor.APPLICANT:
        return account_id == request.applicant_id
    if actor_kind == Actor.EXECUTOR:
        return account_id == request.executor_id
    return True


def moves_for(request: Party, *, actor_kind: str, account_id: int | None) -> list[str]:
    """Return the statuses the person may move ``request`` to now, sorted: none for a co-resident or another
    executor's request; for a new request nobody has, an executor's claim."""
    claimable = request.status == Status.NEW and request.executor_id is None
    if not (
        may_act(request, actor_kind=actor_kind, account_id=account_id) or (claimable and actor_kind == Actor.EXECUTOR)
    ):
        return []
    return allowed_moves(request.status, actor_kind, before_clarification=request.status_before_clarification or None)
