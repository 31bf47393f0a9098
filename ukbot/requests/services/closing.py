"""The end of the work: completion with photos, acceptance with a rating, returns, ratings, and the answer to a
manager's question."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.requests.events import REQUEST_RATED, RequestRated
from ukbot.requests.models import AttachmentKind, Request
from ukbot.requests.services.attachments import attach
from ukbot.requests.services.common import check_party, check_version, locked
from ukbot.requests.services.details import comment_text, comment_write
from ukbot.requests.services.moves import move
from ukbot.requests.statuses import Actor, Status


def request_complete(
    *,
    number: str,
    actor_id: int,
    photos: Sequence[uuid.UUID | str],
    comment: str = "",
    expected_version: int | None = None,
) -> Request:
    """The assigned executor reports the work done with "after" photos (at least one, here or attached before) and
    an optional public comment; publishes ``request.completed``.

    :raises ValidationFailedError: no "after" photo; a bad comment; a photo that is not usable (see
        :func:`attachments_add`).
    :raises InvalidTransitionError, PermissionDeniedError, ConflictError, NotFoundError: as :func:`request_move`.
    """
    comment = (comment or "").strip()
    if comment:
        comment = comment_text(comment, field="comment")
    with transaction.atomic():
        request = locked(number)
        check_version(request, expected_version)
        check_party(request, actor_kind=Actor.EXECUTOR, actor_id=actor_id)
        if photos and request.status == Status.IN_PROGRESS:
            attach(
                request,
                media_ids=photos,
                kind=AttachmentKind.AFTER,
                actor_id=actor_id,
                actor_kind=Actor.EXECUTOR,
                field="photos",
            )
        move(request, to_status=Status.COMPLETED, actor_kind=Actor.EXECUTOR, actor_id=actor_id, reason=comment)
        if comment:
            comment_write(request, author_id=actor_id, actor_kind=Actor.EXECUTOR, text=comment)
    return request


def request_accept(
    *,
    number: str,
    actor_kind: str,
    actor_id: int | None,
    rating: int | None = None,
    feedback: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Request:
    """Close confirmed work as accepted: the applicant with a 1–5 rating and optional feedback; a manager on the
    applicant's behalf with a mandatory ``reason`` (and no rating); the system after the configured days.

    :raises ValidationFailedError: a missing or out-of-range rating, feedback over 2000 characters, a manager
        without a reason or with a rating.
    :raises InvalidTransitionError, PermissionDeniedError, ConflictError, NotFoundError: as :func:`request_move`.
    """
    feedback = (feedback or "").strip()
    if actor_kind == Actor.APPLICANT:
        _check_rating(rating, feedback)
    elif rating is not None or feedback:
        raise ValidationFailedError(details={"rating": _("Only the applicant rates the work.")})
    with transaction.atomic():
        request = locked(number)
        check_version(request, expected_version)
        move(request, to_status=Status.ACCEPTED, actor_kind=actor_kind, actor_id=actor_id, reason=reason)
        if rating is not None:
            _rate(request, rating=rating, feedback=feedback)
    return request


def _check_rating(rating: object, feedback: str) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailedError(details={"rating": _("Rate the work from 1 to 5.")})
    if len(feedback) > 2000 or "\x00" in feedback:
        raise ValidationFailedError(details={"feedback": _("Feedback is at most 2000 characters of text.")})


def _rate(request: Request, *, rating: int, feedback: str) -> None:
    request.rating, request.feedback = rating, feedback
    request.version += 1
    request.save(update_fields=["rating", "feedback", "version"])
    publish(
        REQUEST_RATED,
        subject=request.number,
        data=RequestRated(
            number=request.number, rating=rating, executor_id=request.executor_id, applicant_id=request.applicant_id
        ),
    )


def request_rate(*, number: str, actor_id: int, rating: int, feedback: str = "") -> Request:
    """The applicant rates accepted work that has no rating yet (accepted automatically or by a manager).

    :raises ConflictError: the request is not accepted, or is rated already.
    :raises PermissionDeniedError: not the applicant.
    :raises ValidationFailedError: a rating outside 1–5 or overlong feedback.
    """
    feedback = (feedback or "").strip()
    _check_rating(rating, feedback)
    with transaction.atomic():
        request = locked(number)
        check_party(request, actor_kind=Actor.APPLICANT, actor_id=actor_id)
        if request.status != Status.ACCEPTED:
            raise ConflictError(_("Work is rated once it is accepted."))
        if request.rating is not None:
            raise ConflictError(_("This request is rated already."))
        _rate(request, rating=rating, feedback=feedback)
    return request


def request_return(
    *,
    number: str,
    actor_kind: str,
    actor_id: int,
    reason: str,
    photos: Sequence[uuid.UUID | str] = (),
    expected_version: int | None = None,
) -> Request:
    """Send work back: the applicant returns confirmed work (``returned``) with a reason and optional photos; a
    manager returns completed work to the executor (``in_progress``) with a reason.

    :raises ValidationFailedError: no reason; a photo that is not usable (see :func:`attachments_add`).
    :raises InvalidTransitionError, PermissionDeniedError, ConflictError, NotFoundError: as :func:`request_move`.
    """
    target = Status.RETURNED if actor_kind == Actor.APPLICANT else Status.IN_PROGRESS
    with transaction.atomic():
        request = locked(number)
        check_version(request, expected_version)
        move(request, to_status=target, actor_kind=actor_kind, actor_id=actor_id, reason=reason)
        if photos:
            attach(
                request,
                media_ids=photos,
                kind=AttachmentKind.RETURN,
                actor_id=actor_id,
                actor_kind=actor_kind,
                field="photos",
            )
    return request


def clarification_answer(*, number: str, actor_id: int, answer: str) -> Request:
    """The applicant answers the manager's question: the answer becomes a public comment and the request returns
    to the status it had before the question.

    :raises ConflictError: no question is open.
    :raises PermissionDeniedError: not the applicant.
    :raises ValidationFailedError: an empty or overlong answer.
    """
    answer = comment_text(answer, field="answer")
    with transaction.atomic():
        request = locked(number)
        check_party(request, actor_kind=Actor.APPLICANT, actor_id=actor_id)
        if request.status != Status.CLARIFICATION:
            raise ConflictError(_("No question is waiting for your answer."))
        comment_write(request, author_id=actor_id, actor_kind=Actor.APPLICANT, text=answer)
        move(
            request,
            to_status=request.status_before_clarification,
            actor_kind=Actor.APPLICANT,
            actor_id=actor_id,
            reason=answer[:2000],
        )
    return request
