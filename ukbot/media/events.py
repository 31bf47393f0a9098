"""Events published by `media` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("media")

MEDIA_UPLOADED = catalogue.define("media.uploaded")
MEDIA_VIRUS_SCAN_COMPLETED = catalogue.define("media.virus_scan_completed")
MEDIA_DELETED = catalogue.define("media.deleted")
