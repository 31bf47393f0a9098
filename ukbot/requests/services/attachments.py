"""Files attached to a request: photos before and after the work, documents, photos of a return."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, ValidationFailedError
from ukbot.media import public as media_public
from ukbot.requests.models import Attachment, AttachmentKind, Request
from ukbot.requests.services.common import check_party, locked
from ukbot.requests.statuses import FINAL, Actor

MAX_ATTACHMENTS = 30
KINDS_BY_ACTOR: dict[str, frozenset[str]] = {
    Actor.APPLICANT: frozenset({AttachmentKind.BEFORE, AttachmentKind.DOCUMENT, AttachmentKind.RETURN}),
    Actor.EXECUTOR: frozenset({AttachmentKind.BEFORE, AttachmentKind.AFTER, AttachmentKind.DOCUMENT}),
    Actor.MANAGER: frozenset(AttachmentKind.values),
}


def attach(
    request: Request,
    *,
    media_ids: Iterable[uuid.UUID | str],
    kind: str,
    actor_id: int,
    actor_kind: str,
    field: str = "media_ids",
) -> list[Attachment]:
    """Attach files to a request locked in the caller's transaction, after the checks of :func:`attachments_add`
    (all but the party and the status, which the caller has made); return the request's attachments of them."""
    if kind not in KINDS_BY_ACTOR.get(actor_kind, ()):
        raise ValidationFailedError(details={"kind": _("You cannot attach a file of this kind.")})
    media_ids = list(dict.fromkeys(media_ids))  # the same file twice in one call is one attachment
    known = set(request.attachments.values_list("media_id", flat=True))
    new = [media_id for media_id in media_ids if media_id not in known]
    if len(known) + len(new) > MAX_ATTACHMENTS:
        raise ValidationFailedError(details={field: _("A request holds at most 30 files.")})
    # only files the actor uploaded, not infected and not attached elsewhere; claimed in this transaction
    media_public.files_require_usable(
        media_ids=new, account_id=actor_id, field=field, kind="request", object_id=request.number
    )
    Attachment.objects.bulk_create(
        [Attachment(request=request, media_id=media_id, kind=kind, added_by=actor_id) for media_id in new]
    )
    media_public.attach(media_ids=new, kind="request", object_id=request.number)
    return list(request.attachments.filter(media_id__in=media_ids))


def attachments_add(
    *, number: str, media_ids: Iterable[uuid.UUID | str], kind: str, actor_id: int, actor_kind: str
) -> list[Attachment]:
    """Attach files (media ids) to an open request: applicants photos before and documents, executors also photos
    after, managers any kind. Attaching a file again is a no-op.

    :raises NotFoundError: no such request.
    :raises ConflictError: the request is closed.
    :raises PermissionDeniedError: not the applicant or the assigned executor.
    :raises ValidationFailedError: no files, a kind the actor may not attach, more than 30 files on the request, a
        file the actor did not upload (or unknown), an infected one, or one attached to something else.
    """
    if not media_ids:
        raise ValidationFailedError(details={"media_ids": _("Attach at least one file.")})
    with transaction.atomic():
        request = _open_for_files(number, actor_kind=actor_kind, actor_id=actor_id)
        return attach(request, media_ids=media_ids, kind=kind, actor_id=actor_id, actor_kind=actor_kind)


def files_attach(
    *, number: str, files: Sequence[tuple[uuid.UUID | str, str]], actor_id: int, actor_kind: str
) -> list[Attachment]:
    """Attach ``files`` (media id and attachment kind each, of several kinds) to an open request in one
    transaction: if one cannot be attached, none is.

    :raises NotFoundError, ConflictError, PermissionDeniedError, ValidationFailedError: as :func:`attachments_add`.
    """
    if not files:
        raise ValidationFailedError(details={"media_ids": _("Attach at least one file.")})
    with transaction.atomic():
        request = _open_for_files(number, actor_kind=actor_kind, actor_id=actor_id)
        return attach_by_kind(request, files=files, actor_id=actor_id, actor_kind=actor_kind)


def attach_by_kind(
    request: Request, *, files: Sequence[tuple[uuid.UUID | str, str]], actor_id: int, actor_kind: str
) -> list[Attachment]:
    """:func:`attach` ``files`` (media id and kind each) kind by kind, in the order of :class:`AttachmentKind`."""
    unknown = {kind for _media_id, kind in files} - set(AttachmentKind.values)
    if unknown:
        raise ValidationFailedError(details={"kind": _("You cannot attach a file of this kind.")})
    attached: list[Attachment] = []
    for kind in AttachmentKind.values:
        media_ids = [media_id for media_id, file_kind in files if file_kind == kind]
        if media_ids:
            attached += attach(request, media_ids=media_ids, kind=kind, actor_id=actor_id, actor_kind=actor_kind)
    return attached


def _open_for_files(number: str, *, actor_kind: str, actor_id: int) -> Request:
    request = locked(number)
    if request.status in FINAL:
        raise ConflictError(_("The request is closed; it takes no more files."))
    check_party(request, actor_kind=actor_kind, actor_id=actor_id)
    return request


def attachment_drop(*, number: str, media_id: uuid.UUID | str) -> int:
    """Forget a file that was deleted from storage as one of the request's attachments; safe to call twice.

    Returns how many attachments were dropped (0 or 1).
    """
    dropped, _by_model = Attachment.objects.filter(request_id=number, media_id=media_id).delete()
    return dropped
