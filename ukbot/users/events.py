"""Events published by `users` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("users")

USER_CREATED = catalogue.define("user.created")
USER_VERIFIED = catalogue.define("user.verified")
USER_ROLE_CHANGED = catalogue.define("user.role_changed")
USER_PROFILE_UPDATED = catalogue.define("user.profile_updated")
USER_FORGOTTEN = catalogue.define("user.forgotten")
