"""Read queries of `media` and the rule of who may read a file."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from ukbot.media import owners
from ukbot.media.models import MediaFile


def parse_id(value: object) -> uuid.UUID | None:
    """The UUID a media id names, or None for a malformed one."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def file_get(*, media_id: uuid.UUID | str) -> MediaFile | None:
    """The live (not deleted) file with this id, or None (also for a malformed id)."""
    pk = parse_id(media_id)
    if pk is None:
        return None
    return MediaFile.objects.filter(pk=pk, deleted_at__isnull=True).first()


def files_get(*, media_ids: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, MediaFile]:
    """The live files among ``media_ids`` (malformed ids skipped), by id."""
    pks = {pk for pk in (parse_id(value) for value in media_ids) if pk is not None}
    return {row.pk: row for row in MediaFile.objects.filter(pk__in=pks, deleted_at__isnull=True)}


def file_readable(*, file: MediaFile, account_id: int, actor_kind: str) -> bool:
    """Whether a person may read a file: its owner always; for an attached file whoever may see the owning
    object (its app's registered rule); an unattached file also managers."""
    if file.owner_id == account_id:
        return True
    if not file.attached_kind:
        return actor_kind == owners.MANAGER
    can_read = owners.rule(file.attached_kind)
    if can_read is None:  # an app that registers no rule: only its managers
        return actor_kind == owners.MANAGER
    return bool(can_read(account_id, file.attached_id, actor_kind))


def files_all() -> QuerySet[MediaFile]:
    """Every file, deleted ones included (for the admin)."""
    return MediaFile.objects.all()
