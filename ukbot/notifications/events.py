"""Events published by `notifications` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("notifications")

NOTIFICATION_SENT = catalogue.define("notification.sent")
NOTIFICATION_FAILED = catalogue.define("notification.failed")
NOTIFICATION_DELIVERY_CONFIRMED = catalogue.define("notification.delivery_confirmed")
