"""The only functions other apps may call synchronously in `requests`: keyword-only, returning frozen dataclasses."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import translation

from ukbot.media import public as media_public
from ukbot.requests.models import Attachment, Comment, Material, MaterialStatus, Request, StatusChange
from ukbot.requests.statuses import FINAL, IN_HANDS, Actor, Category, Status, Urgency

_LABELS = {"status": Status, "category": Category, "urgency": Urgency, "material_status": MaterialStatus}


def label(*, field: str, value: str, language: str) -> str:
    """Return how ``value`` of ``field`` (status, category, urgency, material_status) reads in ``language``.

    An unknown field or value comes back as it is.
    """
    choices = _LABELS.get(field)
    if choices is None or value not in choices.values:
        return value
    with translation.override(language):
        return str(choices(value).label)


@dataclass(frozen=True)
class RequestBrief:
    """What a notification about a request needs: who is involved and what it is about.

    ``created_by`` is who filed it (a manager taking a phone call files for the applicant); ``address`` and
    ``description`` are as stored, the description being text the applicant typed. ``building_id``,
    ``apartment_id``, ``entrance`` and ``floor`` say where it is, for ``users.public.place_render`` to put in a
    reader's language with ``address`` as the snapshot (decision 0020).
    """

    number: str
    applicant_id: int
    created_by: int | None
    executor_id: int | None
    category: str
    urgency: str
    status: str
    address: str
    description: str
    building_id: int | None = None
    apartment_id: int | None = None
    entrance: str = ""
    floor: int | None = None


def request_brief(*, number: str) -> RequestBrief | None:
    """Return the brief of request ``number``, or None when there is no such request."""
    row = (
        Request.objects.filter(pk=number)
        .values(
            "number",
            "applicant_id",
            "created_by",
            "executor_id",
            "category",
            "urgency",
            "status",
            "address",
            "description",
            "building_id",
            "apartment_id",
            "entrance",
            "floor",
        )
        .first()
    )
    return RequestBrief(**row) if row else None


@dataclass(frozen=True)
class CommentBrief:
    """A comment on a request: its author, text and whether it is internal (never shown to applicants)."""

    comment_id: int
    number: str
    author_id: int
    text: str
    internal: bool


def comment_brief(*, comment_id: int) -> CommentBrief | None:
    """Return the comment ``comment_id``, or None when there is no such comment."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        return None
    return CommentBrief(
        comment_id=comment.pk,
        number=comment.request_id,
        author_id=comment.author_id,
        text=comment.text,
        internal=comment.internal,
    )


@dataclass(frozen=True)
class MaterialBrief:
    """A line of materials: what, how much, who asked for it, and where it stands (with the reason of a refusal)."""

    material_id: int
    number: str
    item: str
    quantity: str  # a decimal as text, e.g. "2.5"
    unit: str
    status: str
    requested_by: int
    decided_by: int | None
    reason: str


def material_brief(*, material_id: int) -> MaterialBrief | None:
    """Return the material line ``material_id``, or None when there is no such line."""
    material = Material.objects.filter(pk=material_id).first()
    if material is None:
        return None
    return MaterialBrief(
        material_id=material.pk,
        number=material.request_id,
        item=material.item,
        quantity=str(material.quantity.normalize()),
        unit=material.unit,
        status=material.status,
        requested_by=material.requested_by,
        decided_by=material.decided_by,
        reason=material.reason,
    )


@dataclass(frozen=True)
class Involvement:
    """The requests a person is part of: ``filed`` (as the applicant), ``worked`` (as the executor now, or an
    actor in the history while not the applicant) and ``commented`` (they wrote a comment on it); numbers sorted."""

    filed: tuple[str, ...]
    worked: tuple[str, ...]
    commented: tuple[str, ...]


def involvement(*, account_id: int) -> Involvement:
    """Return the requests ``account_id`` filed, worked on or commented on (empty tuples for nobody)."""
    filed = Request.objects.filter(applicant_id=account_id).values_list("number", flat=True)
    worked = Request.objects.filter(Q(executor_id=account_id) | Q(history__actor_id=account_id)).exclude(
        applicant_id=account_id
    )
    commented = Comment.objects.filter(author_id=account_id).values_list("request_id", flat=True)
    return Involvement(
        filed=tuple(sorted(filed)),
        worked=tuple(sorted(set(worked.values_list("number", flat=True)))),
        commented=tuple(sorted(set(commented))),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(*, account_id: int) -> dict[str, Any]:
    """Everything `requests` holds about a person: the requests they filed (description, contact phone, address
    text, visit window, feedback, their attachments), the comments they wrote and the reasons they gave for moves.
    Empty for a person with none of these."""
    files: dict[str, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(Q(request__applicant_id=account_id) | Q(added_by=account_id)).order_by(
        "added_at", "pk"
    ):
        files.setdefault(attachment.request_id, []).append(attachment)
    names = media_public.files_info(media_ids=[a.media_id for group in files.values() for a in group])

    def attachments(number: str) -> list[dict[str, Any]]:
        return [
            {
                "media_id": str(a.media_id),
                "name": names[a.media_id].name if a.media_id in names else None,
                "kind": a.kind,
                "added_by_you": a.added_by == account_id,
                "added_at": a.added_at.isoformat(),
            }
            for a in files.get(number, [])
        ]

    requests = [
        {
            "number": r.number,
            "category": r.category,
            "urgency": r.urgency,
            "status": r.status,
            "description": r.description,
            "contact_phone": r.contact_phone,
            "address": r.address,
            "building_id": r.building_id,
            "apartment_id": r.apartment_id,
            "entrance": r.entrance,
            "floor": r.floor,
            "visit_from": _iso(r.visit_from),
            "visit_to": _iso(r.visit_to),
            "rating": r.rating,
            "feedback": r.feedback,
            "created_at": r.created_at.isoformat(),
            "attachments": attachments(r.number),
        }
        for r in Request.objects.filter(applicant_id=account_id).order_by("created_at", "number")
    ]
    filed = {str(r["number"]) for r in requests}
    added_elsewhere = [{"number": number, "attachments": attachments(number)} for number in sorted(set(files) - filed)]
    comments = [
        {
            "id": c.pk,
            "number": c.request_id,
            "text": c.text,
            "internal": c.internal,
            "created_at": c.created_at.isoformat(),
        }
        for c in Comment.objects.filter(author_id=account_id).order_by("created_at", "pk")
    ]
    reasons = [
        {"number": h.request_id, "from": h.from_status, "to": h.to_status, "reason": h.reason, "at": h.at.isoformat()}
        for h in StatusChange.objects.filter(actor_id=account_id).exclude(reason="").order_by("at", "pk")
    ]
    if not (requests or added_elsewhere or comments or reasons):
        return {}
    return {"requests": requests, "attachments_elsewhere": added_elsewhere, "comments": comments, "reasons": reasons}


# --- for assignment ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchBrief:
    """What dispatch needs of a request: its trade's category, urgency, where, whose it is now and its deadlines.

    ``final`` is True for a closed request (accepted or cancelled); ``assignable`` only for a new one (the one
    status a request is given out from).
    """

    number: str
    status: str
    category: str
    urgency: str
    building_id: int | None
    executor_id: int | None
    created_at: datetime
    reaction_deadline: datetime | None
    resolution_deadline: datetime | None
    version: int

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def assignable(self) -> bool:
        return self.status == Status.NEW


_DISPATCH_FIELDS = [
    "number",
    "status",
    "category",
    "urgency",
    "building_id",
    "executor_id",
    "created_at",
    "reaction_deadline",
    "resolution_deadline",
    "version",
]


def dispatch_brief(*, number: str) -> DispatchBrief | None:
    """Return what dispatch needs of request ``number``, or None when there is no such request."""
    row = Request.objects.filter(pk=number).values(*_DISPATCH_FIELDS).first()
    return DispatchBrief(**row) if row else None


def open_loads(*, executor_ids: Iterable[int]) -> dict[int, int]:
    """Return how many requests each of ``executor_ids`` has in hand (assigned and not yet reported done); 0 for
    those with none."""
    wanted = set(executor_ids)
    loads = dict.fromkeys(wanted, 0)
    rows = (
        Request.objects.filter(executor_id__in=wanted, status__in=sorted(IN_HANDS))
        .order_by()
        .values("executor_id")
        .annotate(open=Count("pk"))
        .values_list("executor_id", "open")
    )
    loads.update((int(executor_id), count) for executor_id, count in rows if executor_id is not None)
    return loads


@dataclass(frozen=True)
class TrackRecord:
    """An executor's work since a moment: the applicants' ratings (1–5), the jobs reported done, and how many
    times applicants returned their work."""

    ratings: tuple[int, ...] = ()
    finished: int = 0
    returned: int = 0


def track_records(*, executor_ids: Iterable[int], since: datetime) -> dict[int, TrackRecord]:
    """Return the track record since ``since`` of each of ``executor_ids`` (an empty one for a newcomer)."""
    wanted = set(executor_ids)
    ratings: dict[int, list[int]] = {}
    finished: dict[int, int] = {}
    for executor_id, rating in Request.objects.filter(executor_id__in=wanted, completed_at__gte=since).values_list(
        "executor_id", "rating"
    ):
        if executor_id is None:
            continue
        finished[executor_id] = finished.get(executor_id, 0) + 1
        if rating is not None:
            ratings.setdefault(executor_id, []).append(rating)
    returned = dict(
        StatusChange.objects.filter(request__executor_id__in=wanted, to_status=Status.RETURNED, at__gte=since)
        .order_by()
        .values("request__executor_id")
        .annotate(times=Count("pk"))
        .values_list("request__executor_id", "times")
    )
    return {
        executor_id: TrackRecord(
            ratings=tuple(sorted(ratings.get(executor_id, ()))),
            finished=finished.get(executor_id, 0),
            returned=returned.get(executor_id, 0),
        )
        for executor_id in wanted
    }


def last_job_buildings(*, executor_ids: Iterable[int]) -> dict[int, int]:
    """Return the building of the last job each of ``executor_ids`` reported done (those with none left out)."""
    rows = (
        Request.objects.filter(executor_id__in=set(executor_ids), completed_at__isnull=False, building_id__isnull=False)
        .order_by("executor_id", "-completed_at", "-number")
        .distinct("executor_id")
        .values_list("executor_id", "building_id")
    )
    return {executor_id: building_id for executor_id, building_id in rows if executor_id and building_id}


def request_assign(
    *, number: str, executor_id: int, actor_id: int | None, reason: str = "", expected_version: int | None = None
) -> DispatchBrief:
    """Give new request ``number`` to ``executor_id``, as a manager (``actor_id``) or, without one, the system; the
    request's own rules apply (a verified executor of its category) and it writes history and events as every
    move does. Call inside the caller's transaction to make the assignment part of it.

    :raises NotFoundError: no such request.
    :raises ConflictError: ``expected_version`` is given and stale.
    :raises InvalidTransitionError: the request is not new (already given out, in clarification, closed).
    :raises ValidationFailedError: the executor may not take the request.
    """
    # Imported when called: other apps' services read this module, and a static import of requests' services
    # (which read users.public) would make every such service reach up to its own app's public module.
    services = importlib.import_module("ukbot.requests.services")
    services.request_move(
        number=number,
        to_status=Status.ASSIGNED,
        actor_kind=Actor.MANAGER if actor_id is not None else Actor.SYSTEM,
        actor_id=actor_id,
        executor_id=executor_id,
        reason=reason,
        expected_version=expected_version,
    )
    brief = dispatch_brief(number=number)
    assert brief is not None  # it was just moved
    return brief
