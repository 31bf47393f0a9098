"""Events published by `shifts` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("shifts")

SHIFT_CREATED = catalogue.define("shift.created")
SHIFT_STARTED = catalogue.define("shift.started")
SHIFT_COMPLETED = catalogue.define("shift.completed")
SHIFT_TRANSFERRED = catalogue.define("shift.transferred")
EXECUTOR_LOCATION_UPDATED = catalogue.define("executor.location_updated")
