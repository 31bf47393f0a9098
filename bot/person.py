"""Who is writing: the person behind a Telegram user, loaded once per update by the person middleware."""

from __future__ import annotations

from dataclasses import dataclass

from ukbot.auth import public as auth_public
from ukbot.requests.access import actor_kind_for
from ukbot.users import public as users_public
from ukbot.users.roles import scopes_for

LANGUAGES = ("ru", "uz", "en")
DEFAULT_LANGUAGE = "ru"


@dataclass(frozen=True)
class Person:
    """A registered person as the bot sees them. ``status`` is pending, approved or blocked."""

    account_id: int
    telegram_id: int
    language: str
    roles: tuple[str, ...]
    active_role: str | None
    status: str

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    @property
    def role(self) -> str | None:
        """The active role (the first of the person's roles when none was chosen)."""
        return self.active_role or (self.roles[0] if self.roles else None)

    @property
    def actor_kind(self) -> str:
        """How the person acts on requests in their active role: manager (its scopes hold ``admin:requests``),
        executor or applicant (inspectors file requests as residents do); the rule is the requests app's."""
        return actor_kind_for(role=self.role, scopes=scopes_for(self.role))


def person_of(telegram_id: int) -> Person | None:
    """Return the registered person with this Telegram id, or None for a newcomer (no account or no profile)."""
    account = auth_public.account_by_telegram(telegram_id=telegram_id)
    if account is None or not account.is_active:
        return None
    access = users_public.access_profile(account_id=account.id)
    if access.status == users_public.NO_PROFILE:
        return None
    return Person(
        account_id=account.id,
        telegram_id=telegram_id,
        language=access.language if access.language in LANGUAGES else DEFAULT_LANGUAGE,
        roles=access.roles,
        active_role=access.active_role,
        status=access.status,
    )


def language_of(language_code: str | None) -> str:
    """Return the bot language for a Telegram ``language_code`` (``uz``, ``en-GB``, …); Russian when unsupported."""
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
