"""Events published by `auth` (its public contract), with their payloads."""

from __future__ import annotations

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("auth")
AUTH_LOGIN = catalogue.define("auth.login")
AUTH_LOGOUT = catalogue.define("auth.logout")
AUTH_MFA_ENABLED = catalogue.define("auth.mfa_enabled")
AUTH_TOKEN_EXPIRED = catalogue.define("auth.token_expired")


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
