"""Events published by `assignment` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("assignment")

ASSIGNMENT_CREATED = catalogue.define("assignment.created")
ASSIGNMENT_OPTIMIZED = catalogue.define("assignment.optimized")
ASSIGNMENT_FAILED = catalogue.define("assignment.failed")
MODEL_RETRAINED = catalogue.define("model.retrained")
