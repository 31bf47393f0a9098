"""What works from any state: /help, /cancel, /menu, /lang (and the Language button), and switching role."""

from __future__ import annotations

from typing import Literal

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from django.utils import translation

from bot.i18n import _, in_language
from bot.menus import MenuButton, main_menu
from bot.person import LANGUAGES, Person, person_of
from bot.redis import language_remember
from bot.sync import call
from ukbot.users import services as users_services
from ukbot.users.roles import Role

router = Router(name=__name__)

LANGUAGE_NAMES = {"ru": "🇷🇺 Русский", "uz": "🇺🇿 Oʻzbekcha", "en": "🇬🇧 English"}


class LanguageCb(CallbackData, prefix="lang"):
    code: Literal["ru", "uz", "en"]


class RoleCb(CallbackData, prefix="role"):
    role: Role


def language_keyboard() -> InlineKeyboardMarkup:
    """Three buttons, one per language, each in its own language."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=LANGUAGE_NAMES[code], callback_data=LanguageCb(code=code).pack())]
            for code in LANGUAGES
        ]
    )


def help_text(person: Person | None) -> str:
    """What the bot can do for this person (their active role), and the commands that work everywhere."""
    role = person.role if person else None
    what = {
        "applicant": _("Report a problem with “New request” and follow it in “My requests”."),
        "executor": _("Start your shift, take requests from the pool and work your tasks."),
        "inspector": _("Report problems you find on your rounds."),
        "manager": _("Triage, assign and check requests; moderate residents and staff."),
        "admin": _("Triage, assign and check requests; moderate residents and staff."),
    }.get(role or "", _("Press /start to register."))
    commands = _(
        "/start — start or restart\n/menu — main menu\n/cancel — stop what you are doing\n"
        "/lang — change language\n/help — this help"
    )
    return f"{what}\n\n{commands}"


async def show_menu(message: Message, person: Person | None, text: str | None = None) -> None:
    """Send the main menu of the person's active role (or the invitation to register)."""
    if person is None:
        await message.answer(text or _("Press /start to register."), reply_markup=ReplyKeyboardRemove())
        return
    await message.answer(text or _("Main menu"), reply_markup=main_menu(person))


@router.message(Command("help"))
@router.message(MenuButton("help"))
async def help_(message: Message, person: Person | None) -> None:
    await message.answer(help_text(person))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, person: Person | None) -> None:
    had_dialog = await state.get_state() is not None
    await state.clear()
    await show_menu(message, person, _("Cancelled.") if had_dialog else _("There is nothing to cancel."))


@router.message(Command("menu"))
async def menu(message: Message, state: FSMContext, person: Person | None) -> None:
    await state.clear()
    await show_menu(message, person)


@router.message(Command("lang"))
@router.message(MenuButton("language"))
async def language(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard())


async def language_set(telegram_id: int, person: Person | None, code: str) -> Person | None:
    """Keep the chosen language (in the profile, or in Redis for a newcomer); return the person as now."""
    await language_remember(telegram_id, code)
    if person is None:
        return None
    await call(users_services.profile_update, account_id=person.account_id, language=code)
    return await call(person_of, telegram_id)


@router.callback_query(LanguageCb.filter(F.code.in_(LANGUAGES)), F.message)
async def language_chosen(query: CallbackQuery, callback_data: LanguageCb, state: FSMContext, person) -> None:
    code = callback_data.code
    person = await language_set(query.from_user.id, person, code)
    if person is None:
        raise SkipHandler  # a newcomer chose at /start: the registration dialog (bot.handlers.start) carries on
    await query.answer()
    with translation.override(code):
        await show_menu(query.message, person, in_language(code, _("Language changed.")))


@router.message(Command("role"))
@router.message(MenuButton("switch_role"))
async def switch_role(message: Message, person: Person | None) -> None:
    if person is None or len(person.roles) < 2:
        await message.answer(_("You have one role only."))
        return
    buttons = [
        [InlineKeyboardButton(text=("• " if role == person.role else "") + str(Role(role).label), callback_data=data)]
        for role in person.roles
        for data in [RoleCb(role=role).pack()]
    ]
    await message.answer(_("Choose the role to work in:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))


@router.callback_query(RoleCb.filter(), F.message)
async def role_chosen(query: CallbackQuery, callback_data: RoleCb, state: FSMContext, person: Person | None) -> None:
    await query.answer()
    if person is None or callback_data.role not in person.roles:
        await query.message.answer(_("This role is not yours."))
        return
    await call(users_services.active_role_switch, account_id=person.account_id, role=callback_data.role)
    await state.clear()
    person = await call(person_of, query.from_user.id)
    await show_menu(query.message, person, _("You now work as: {role}.").format(role=Role(callback_data.role).label))
