"""Events published by `requests` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("requests")

REQUEST_CREATED = catalogue.define("request.created")
REQUEST_STATUS_CHANGED = catalogue.define("request.status_changed")
REQUEST_ASSIGNED = catalogue.define("request.assigned")
REQUEST_COMPLETED = catalogue.define("request.completed")
REQUEST_COMMENT_ADDED = catalogue.define("request.comment_added")
REQUEST_MATERIALS_REQUESTED = catalogue.define("request.materials_requested")
REQUEST_SLA_BREACHED = catalogue.define("request.sla_breached")
