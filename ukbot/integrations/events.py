"""Events published by `integrations` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("integrations")

INTEGRATION_SYNC_STARTED = catalogue.define("integration.sync_started")
INTEGRATION_SYNC_COMPLETED = catalogue.define("integration.sync_completed")
INTEGRATION_SYNC_FAILED = catalogue.define("integration.sync_failed")
