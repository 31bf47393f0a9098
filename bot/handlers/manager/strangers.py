"""A manager's button pressed by someone who is not (now) a manager: outside the managers' gate, tried after it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot.handlers.manager.common import MANAGER_ROLES
from bot.i18n import _
from bot.person import Person

router = Router(name=__name__)


@router.callback_query(F.data.regexp(r"^mgr[a-z]*:"))
async def not_for_you(query: CallbackQuery, person: Person | None) -> None:
    """A manager's button pressed by someone who is not (now) a manager, or an old one of a finished step."""
    if person is not None and not person.blocked and person.role in MANAGER_ROLES:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer(_("Only managers can do this."), show_alert=True)
