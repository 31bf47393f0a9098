"""The record of a request (comments, history, materials, attachments), and whom to give work to."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from ukbot.requests import access
from ukbot.requests.models import Attachment, Comment, Material, MaterialStatus, Request, StatusChange
from ukbot.requests.statuses import FINAL, IN_HANDS
from ukbot.users import public as users_public


def request_get(*, number: str) -> Request | None:
    """The request with this number, whoever asks (callers apply their own rules), or None."""
    return Request.objects.filter(pk=number).first()


def requests_none() -> QuerySet[Request]:
    """An empty queryset of requests (for schema generation)."""
    return Request.objects.none()


def comments_for(*, number: str, actor_kind: str) -> QuerySet[Comment]:
    """The comments of a request, oldest first; only managers see internal ones (for a person's read, use
    :func:`~.access.comments_shown_to`, which also hides them from a pool card)."""
    comments = Comment.objects.filter(request_id=number)
    return comments if access.reads_internal(actor_kind=actor_kind) else comments.filter(internal=False)


def comments_none() -> QuerySet[Comment]:
    """An empty queryset of comments (for schema generation)."""
    return Comment.objects.none()


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
