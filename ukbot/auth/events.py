"""Events published by `auth` (its public contract). Payload dataclasses come with the services."""

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("auth")

AUTH_LOGIN = catalogue.define("auth.login")
AUTH_LOGOUT = catalogue.define("auth.logout")
AUTH_MFA_ENABLED = catalogue.define("auth.mfa_enabled")
AUTH_TOKEN_EXPIRED = catalogue.define("auth.token_expired")
