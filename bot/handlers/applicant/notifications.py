"""A resident's notifications: whether they hear the progress of their requests (an executor assigned, work
started, done, sent back). What needs them (a manager's question, work to accept, a cancellation) always comes;
the rule and the setting are the notifications app's (``preference_get``/``preference_set``, decision 0021)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import _
from bot.keyboards import button, keyboard
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.notifications import services as notifications

router = Router(name=__name__)


class NotifyCb(CallbackData, prefix="notify"):
    """Turn the progress messages on (``progress`` true) or off: the value to set, so a second tap changes
    nothing."""

    progress: bool


def _progress_on(account_id: int) -> bool:
    return notifications.preference_get(account_id=account_id).messages.get("progress", True)


def _set_progress(account_id: int, on: bool) -> bool:
    return notifications.preference_set(account_id=account_id, messages={"progress": on}).messages["progress"]


def _screen(on: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    state = (
        _("Messages on the progress of your requests (a specialist assigned, work started, work done) are on.")
        if on
        else _("Messages on the progress of your requests (a specialist assigned, work started, work done) are off.")
    )
    text = "\n".join(
        [
            _("<b>🔔 Notifications</b>"),
            state,
            _("Questions from the managers, work to accept and cancellations always come."),
        ]
    )
    label = _("🔕 Turn progress messages off") if on else _("🔔 Turn progress messages on")
    return text, keyboard([button(label, NotifyCb(progress=not on))])


@router.message(MenuButton("notifications"))
async def notification_settings(message: Message, person: Person) -> None:
    text, markup = _screen(await call(_progress_on, person.account_id))
    await message.answer(text, reply_markup=markup)


@router.callback_query(NotifyCb.filter(), F.message)
async def progress_set(query: CallbackQuery, callback_data: NotifyCb, person: Person) -> None:
    on = await call(_set_progress, person.account_id, callback_data.progress)
    await query.answer(_("Saved."))
    text, markup = _screen(on)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)
