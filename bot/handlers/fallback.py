"""The last router: whatever no feature handled gets a hint that fits the dialog's step, and old buttons say so.

Included last, so it only sees what every other router let through.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.handlers.common import show_menu
from bot.hints import hint_for
from bot.i18n import _
from bot.person import Person

router = Router(name=__name__)


@router.edited_message()
async def edited(message: Message) -> None:
    await message.reply(_("Edits to sent messages are not picked up. Please send a new message instead."))


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active."), show_alert=False)


@router.message(F.chat.type != "private")
async def not_private(message: Message) -> None:
    """The bot works in private chats only; in groups it stays quiet."""


@router.message()
async def anything_else(message: Message, state: FSMContext, person: Person | None) -> None:
    if message.media_group_id and (await state.get_data()).get("finished_album") == message.media_group_id:
        return  # the rest of an album whose first file ended a step, which has said what it kept
    hint = hint_for(await state.get_state())
    if hint is not None:
        await message.answer(hint)
        return
    if person is None:
        await message.answer(_("Press /start to register."))
        return
    if message.sticker or message.animation:
        text = _("Nice sticker! To do something, use the menu below.")
    else:
        text = _("I did not understand that. Use the menu below, or /help.")
    await show_menu(message, person, text)
