"""Events published by `media` (its public contract): names and payload types; the subject is the media id."""

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("media")


@dataclass(frozen=True)
class MediaUploaded:
    media_id: str
    owner_id: int
    content_type: str
    size: int
    sha256: str
    scan_status: str


@dataclass(frozen=True)
class MediaVirusScanCompleted:
    media_id: str
    owner_id: int
    scan_status: str  # clean or infected
    signature: str  # the virus clamd named; empty when clean
    attached_kind: str
    attached_id: str


@dataclass(frozen=True)
class MediaDeleted:
    media_id: str
    owner_id: int
    deleted_by: int | None
    attached_kind: str  # the owning object may drop its reference to the file
    attached_id: str


# Event types come after their payloads: define() checks each class.
MEDIA_UPLOADED = catalogue.define("media.uploaded", payload=MediaUploaded)
MEDIA_VIRUS_SCAN_COMPLETED = catalogue.define("media.virus_scan_completed", payload=MediaVirusScanCompleted)
MEDIA_DELETED = catalogue.define("media.deleted", payload=MediaDeleted)
