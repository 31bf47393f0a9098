"""/start: the greeting of a registered person (and the deep links: ``/start req_<number>`` opens a request's card,
``/start inv_<code>`` adds an invitation's role), the first words to a newcomer, and a blocked person, who hears
that access is blocked and nothing else."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, TelegramObject

from bot.errors import explain
from bot.handlers.cards import show_card
from bot.handlers.common import language_keyboard
from bot.handlers.start.registration import Registration, invited, role_label
from bot.i18n import _
from bot.menus import main_menu
from bot.person import Person, person_of
from bot.redis import language_recall
from bot.render import esc
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.notifications import public as notifications_public
from ukbot.users import selectors as users_selectors
from ukbot.users.services import invitations

router = Router(name=__name__)


class Blocked(Filter):
    """Passes for a registered person who is blocked."""

    async def __call__(self, event: TelegramObject, person: Person | None = None, **_: Any) -> bool:
        return person is not None and person.blocked


def first_name_of(account_id: int) -> str:
    profile = users_selectors.profile_view(account_id=account_id)
    return profile.first_name if profile else ""


def welcome_back(person: Person) -> str:
    """Turn Telegram messages back on (they may have blocked the bot before) and return the person's first name."""
    notifications_public.telegram_resume(account_id=person.account_id)
    return first_name_of(person.account_id)


# --- /start -----------------------------------------------------------------------------------------------------


@router.message(Blocked())
async def blocked(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        _("Your access is blocked. Please contact the management company."), reply_markup=ReplyKeyboardRemove()
    )


@router.callback_query(Blocked())
async def blocked_button(query: CallbackQuery) -> None:
    await query.answer(_("Your access is blocked. Please contact the management company."), show_alert=True)


@router.message(CommandStart())
async def start(message: Message, command: CommandObject, state: FSMContext, person: Person | None) -> None:
    argument = (command.args or "").strip()
    if person is None:
        await _welcome_newcomer(message, state, argument)
        return
    await state.clear()
    name = await call(welcome_back, person)
    if argument.startswith("req_"):
        await show_card(message, person, argument[4:])
        return
    if argument.startswith("inv_"):
        await _extra_role(message, person, argument)
        return
    greeting = _("Hello, {name}!").format(name=esc(name)) if name else _("Hello!")
    await message.answer(greeting, reply_markup=main_menu(person))


async def _extra_role(message: Message, person: Person, code: str) -> None:
    """A registered person with an invitation: add its role to theirs."""
    try:
        invitation = await call(invitations.invitation_accept, code=code, account_id=person.account_id)
    except AppError as exc:
        await message.answer(explain(exc), reply_markup=main_menu(person))
        return
    person = await call(person_of, person.telegram_id) or person
    await message.answer(
        _("You now have the role: {role}.").format(role=role_label(invitation.role)), reply_markup=main_menu(person)
    )


async def _welcome_newcomer(message: Message, state: FSMContext, argument: str) -> None:
    await state.clear()
    await state.set_state(Registration.language)
    text = _("Welcome! I am the bot of your housing management company.")
    if argument.startswith("req_"):
        text += "\n" + _("Please register first, then open the request again.")
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    if argument.startswith("inv_"):
        if message.from_user and await language_recall(message.from_user.id):
            # the language was chosen at an earlier /start (and is active): say the invitation's role right away
            await invited(message, state, argument)
            return
        await state.update_data(invite=argument)  # said once the language is chosen
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard())
