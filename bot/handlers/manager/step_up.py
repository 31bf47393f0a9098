"""Staff with a second factor confirm it in the bot before manager actions: a Telegram account is the bot's only
credential, so without this a stolen or shared phone would carry every manager power that the web side guards with
a code. Once confirmed, manager actions need no code for ``MFA_STEP_UP_HOURS``; the rule and the count of wrong
codes are the auth app's (``auth.public.step_up_needed``/``step_up_confirm``).

:class:`StepUp` is an inner middleware of the managers' router: it runs only when a manager handler was chosen,
and asks for the code instead of running it. :data:`router` takes the code (outside the managers' router, whose
middleware would ask again), before it.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from django.conf import settings

from bot import hints
from bot.errors import explain
from bot.filters import ActiveRole, gate
from bot.handlers.common import show_menu
from bot.handlers.manager.common import MANAGER_ROLES
from bot.i18n import _, __
from bot.menus import is_menu_text
from bot.middlewares import Handler
from bot.person import Person
from bot.sync import call
from ukbot.auth import public as auth_public
from ukbot.core.errors import AppError

CHANNEL = "bot"


class SecondFactor(StatesGroup):
    code = State()


hints.register(SecondFactor.code, __("Send the code from your authenticator app (or a backup code), or /cancel."))


class StepUp(BaseMiddleware):
    """Before a manager handler runs: ask for the second factor if the person has one and has not confirmed it
    in the bot within the period."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        person: Person | None = data.get("person")
        if person is None or not await call(auth_public.step_up_needed, account_id=person.account_id, channel=CHANNEL):
            return await handler(event, data)
        state: FSMContext = data["state"]
        await state.set_state(SecondFactor.code)
        text = _(
            "🔐 Your account has a second factor. Managers confirm it here once every {hours} h: send the code "
            "from your authenticator app (or a backup code), then repeat what you were doing."
        ).format(hours=settings.MFA_STEP_UP_HOURS)
        if isinstance(event, CallbackQuery):
            await event.answer()
            if isinstance(event.message, Message):
                await event.message.answer(text)
        elif isinstance(event, Message):
            await event.answer(text)
        return None


router = gate(Router(name=__name__), ActiveRole(*MANAGER_ROLES))


@router.message(SecondFactor.code, F.text, ~F.text.startswith("/"), ~F.text.func(is_menu_text))
async def code_sent(message: Message, state: FSMContext, person: Person) -> None:
    code = message.text or ""
    with suppress(Exception):  # the code should not stay in the chat; an old bot may not delete it, no matter
        await message.delete()
    try:
        await call(auth_public.step_up_confirm, account_id=person.account_id, channel=CHANNEL, code=code)
    except AppError as refused:
        await message.answer(explain(refused))
        return
    await state.clear()
    await show_menu(
        message,
        person,
        _("✅ Confirmed. For the next {hours} h manager actions need no code. Go on.").format(
            hours=settings.MFA_STEP_UP_HOURS
        ),
    )
