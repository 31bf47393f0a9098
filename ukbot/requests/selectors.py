"""Read queries of `requests`, with the visibility rules of who may see which request."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ukbot.requests.models import Comment, Request
from ukbot.requests.statuses import Actor
from ukbot.users import public as users_public


def requests_visible_to(*, account_id: int, actor_kind: str) -> QuerySet[Request]:
    """Requests a person may read acting as ``actor_kind``: managers all; executors those assigned to them;
    applicants their own and those of apartments they share (read-only)."""
    requests = Request.objects.all()
    if actor_kind == Actor.MANAGER:
        return requests
    if actor_kind == Actor.EXECUTOR:
        return requests.filter(executor_id=account_id)
    apartments = [ref.apartment_id for ref in users_public.apartments_of(account_id=account_id)]
    return requests.filter(Q(applicant_id=account_id) | Q(apartment_id__in=apartments))


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
