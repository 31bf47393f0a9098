"""The only functions other apps may call synchronously in `requests`: keyword-only, returning frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation

from ukbot.requests.models import Comment, Material, MaterialStatus, Request
from ukbot.requests.statuses import Category, Status, Urgency

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
