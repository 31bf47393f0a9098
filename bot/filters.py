"""Filters on who is writing (the person middleware has put ``person`` in the handler data)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.person import Person


class ActiveRole(Filter):
    """Passes when a registered person's active role is one of ``roles`` (and they are not blocked)."""

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, person: Person | None = None, **_: Any) -> bool:
        return person is not None and not person.blocked and person.role in self.roles


class Registered(Filter):
    """Passes for a registered person who is not blocked."""

    async def __call__(self, event: TelegramObject, person: Person | None = None, **_: Any) -> bool:
        return person is not None and not person.blocked


def gate(router: Router, role: Filter) -> Router:
    """Let only people who pass ``role`` reach ``router`` (and the routers it includes): messages, their edits
    and button presses. A role's package gates its router once, here, rather than each handler."""
    for observer in (router.message, router.edited_message, router.callback_query):
        observer.filter(role)
    return router
