"""Events published by `auth` (its public contract), with their payloads."""

from __future__ import annotations

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("auth")


@dataclass(frozen=True)
class LoggedIn:
    account_id: int
    session_id: str
    method: str
    ip: str | None
    timestamp: str


@dataclass(frozen=True)
class LoggedOut:
    account_id: int
    session_id: str
    reason: str


@dataclass(frozen=True)
class TokenExpired:
    account_id: int
    session_id: str
    token_id: str


@dataclass(frozen=True)
class MfaEnabled:
    account_id: int
    timestamp: str


# Event types come after their payloads: define() checks each class.
AUTH_LOGIN = catalogue.define("auth.login", payload=LoggedIn)
AUTH_LOGOUT = catalogue.define("auth.logout", payload=LoggedOut)
AUTH_MFA_ENABLED = catalogue.define("auth.mfa_enabled", payload=MfaEnabled)
AUTH_TOKEN_EXPIRED = catalogue.define("auth.token_expired", payload=TokenExpired)
