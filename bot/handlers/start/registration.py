"""Registration of a newcomer, step by step: language → resident or staff → their own contact (phone) → consent to
the processing of personal data → a resident picks their apartment (:mod:`bot.handlers.apartments.wizard`) and
waits for a manager's approval; staff type their invitation code (or came with ``/start inv_<code>``, and are told
its role, or that it cannot be used, before the phone) and their name, and get their role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from django.utils import translation

from bot import hints
from bot.errors import explain
from bot.handlers.apartments.wizard import ask_place
from bot.handlers.common import LanguageCb
from bot.i18n import _, __
from bot.menus import main_menu
from bot.person import LANGUAGES, person_of
from bot.render import esc
from bot.sync import call
from ukbot.auth import public as auth_public
from ukbot.auth import services as auth_services
from ukbot.core.errors import AppError, ConflictError
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors
from ukbot.users import services as users_services
from ukbot.users.services import consent_record, invitations

router = Router(name=__name__)

# The version of the consent text below; a new text gets a new version, so the record says what was agreed to.
CONSENT_VERSION = "bot-2026-11"
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
NAME_MAX = 100


class Registration(StatesGroup):
    language = State()
    kind = State()
    contact = State()
    consent = State()
    invitation = State()
    name = State()


hints.register(Registration.language, __("Please choose your language with the buttons above."))
hints.register(Registration.kind, __("Please choose with the buttons above: resident or staff."))
hints.register(Registration.contact, __("Please press “📱 Share my phone number” below."))
hints.register(Registration.consent, __("Please press “Agree” or “Decline” above."))
hints.register(Registration.invitation, __("Please type the invitation code you got from your manager."))
hints.register(Registration.name, __("Please type your first and last name, e.g. Aziz Karimov."))


class RegAction(StrEnum):
    """A registration button: who the newcomer is, and their answer to the consent."""

    RESIDENT = "resident"
    STAFF = "staff"
    AGREE = "agree"
    DECLINE = "decline"


class RegCb(CallbackData, prefix="reg"):
    action: RegAction


# --- the database side (run in the database thread) --------------------------------------------------------------


def phone_taken(telegram_id: int, phone: str) -> bool:
    """Whether another person's profile has this phone number."""
    account = auth_public.account_by_telegram(telegram_id=telegram_id)
    holder = users_selectors.phone_holder(phone=phone)
    return holder is not None and holder != (account.id if account else None)


def agree(telegram_id: int, first_name: str, last_name: str) -> int:
    """Create (or find) the account of the Telegram user and record their consent; return the account id."""
    account = auth_services.telegram_account_ensure(telegram_id=telegram_id, first_name=first_name, last_name=last_name)
    consent_record(account_id=account.pk, text_version=CONSENT_VERSION, channel="bot")
    return account.pk


def become_resident(account_id: int, first_name: str, last_name: str, language: str, phone: str) -> None:
    """Give the account an applicant's profile in ``language`` with the phone.

    :raises ConflictError: the phone belongs to another person.
    """
    users_public.ensure_applicant(
        account_id=account_id, first_name=first_name[:NAME_MAX], last_name=last_name[:NAME_MAX], language=language
    )
    users_services.profile_update(account_id=account_id, phone=phone)


@dataclass(frozen=True)
class Joined:
    role: str
    phone_saved: bool


def join_staff(account_id: int, code: str, first_name: str, last_name: str, language: str, phone: str) -> Joined:
    """Use the invitation (its role, and specialization), then keep the name, language and phone.

    :raises AppError: INVITATION_INVALID, INVITATION_USED, INVITATION_EXPIRED.
    """
    invitation = invitations.invitation_accept(code=code, account_id=account_id)
    users_services.profile_update(account_id=account_id, first_name=first_name, last_name=last_name, language=language)
    try:
        users_services.profile_update(account_id=account_id, phone=phone)
    except ConflictError:
        return Joined(role=invitation.role, phone_saved=False)
    return Joined(role=invitation.role, phone_saved=True)


def role_label(role: str) -> str:
    return users_public.label(field="role", value=role, language=translation.get_language() or "ru")


def invitation_offer(code: str) -> str:
    """What the invitation grants, as the invited person reads it, without using it.

    :raises AppError: INVITATION_INVALID, INVITATION_USED, INVITATION_EXPIRED.
    """
    offer = users_selectors.invitation_offer(code=code)
    role = role_label(offer.role)
    if not offer.specialization:
        return _("You are invited to join as {role}.").format(role=role)
    language = translation.get_language() or "ru"
    trade = users_public.label(field="specialization", value=offer.specialization, language=language)
    return _("You are invited to join as {role} ({specialization}).").format(role=role, specialization=trade)


# --- registration, step by step -------------------------------------------------------------------------------


@router.callback_query(LanguageCb.filter(F.code.in_(LANGUAGES)), F.message)
async def language_chosen(query: CallbackQuery, callback_data: LanguageCb, state: FSMContext, person) -> None:
    """A newcomer chose the language (the common router has remembered it and let the tap through)."""
    await query.answer()
    if person is not None:
        return
    with translation.override(callback_data.code):
        current = await state.get_state()
        if current not in (None, Registration.language.state):
            await query.message.answer(_("Language changed.") + "\n" + (hints.hint_for(current) or ""))
            return
        data = await state.get_data()
        if data.get("invite"):
            await invited(query.message, state, data["invite"])
            return
        await ask_kind(query.message, state)


async def invited(message: Message, state: FSMContext, code: str) -> None:
    """Tell a newcomer who came by an invitation link which role it is for, then ask for their phone; a code that
    cannot be used is said now (not after the phone and consent), and they go on as anyone who came without one."""
    try:
        offer = await call(invitation_offer, code)
    except AppError as exc:
        await state.update_data(invite=None)
        await message.answer(explain(exc))
        await ask_kind(message, state)
        return
    await state.update_data(invite=code, kind="staff")
    await message.answer(offer)
    await _ask_contact(message, state)


async def ask_kind(message: Message, state: FSMContext) -> None:
    await state.set_state(Registration.kind)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("🏠 I am a resident"), callback_data=RegCb(action=RegAction.RESIDENT).pack())],
            [
                InlineKeyboardButton(
                    text=_("🧰 I am staff (invited)"), callback_data=RegCb(action=RegAction.STAFF).pack()
                )
            ],
        ]
    )
    await message.answer(_("Are you a resident or a member of staff?"), reply_markup=markup)


@router.callback_query(Registration.kind, RegCb.filter(F.action.in_({RegAction.RESIDENT, RegAction.STAFF})), F.message)
async def kind_chosen(query: CallbackQuery, callback_data: RegCb, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(kind=callback_data.action)
    await _ask_contact(query.message, state)


async def _ask_contact(message: Message, state: FSMContext) -> None:
    await state.set_state(Registration.contact)
    await message.answer(_("Please share your phone number with the button below."), reply_markup=_contact_keyboard())


def _contact_keyboard() -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


def _phone(raw: str) -> str:
    phone = users_services.phone_normalise(raw)
    return phone if phone.startswith("+") else f"+{phone}"


@router.message(Registration.contact, F.contact)
async def contact_shared(message: Message, state: FSMContext) -> None:
    if message.contact.user_id != message.from_user.id:
        await message.answer(
            _("Please share your own phone number with the button below, not someone else's contact."),
            reply_markup=_contact_keyboard(),
        )
        return
    phone = _phone(message.contact.phone_number)
    if not PHONE.match(phone):
        await message.answer(_("This phone number does not look right. Please try again."))
        return
    if await call(phone_taken, message.from_user.id, phone):
        await message.answer(
            _("This phone number is registered to another person. Please contact the management company."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    await state.update_data(phone=phone)
    await message.answer(_("Thank you! ✅"), reply_markup=ReplyKeyboardRemove())
    data = await state.get_data()
    if data.get("account_id"):  # consent given before (the phone was refused then): no need to ask again
        await _after_consent(message, state, data["account_id"])
        return
    await state.set_state(Registration.consent)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("✅ Agree"), callback_data=RegCb(action=RegAction.AGREE).pack()),
                InlineKeyboardButton(text=_("Decline"), callback_data=RegCb(action=RegAction.DECLINE).pack()),
            ]
        ]
    )
    await message.answer(
        _(
            "<b>Consent to the processing of personal data</b>\n\n"
            "To serve your requests, the management company keeps your name, phone number, address and the photos "
            "and documents you send. They are used only for this service and are not shared with others. "
            "You may ask for them to be deleted at any time.\n\nDo you agree?"
        ),
        reply_markup=markup,
    )


@router.message(Registration.contact)
async def not_a_contact(message: Message) -> None:
    await message.answer(str(hints.hint_for(Registration.contact.state)), reply_markup=_contact_keyboard())


@router.callback_query(Registration.consent, RegCb.filter(F.action == RegAction.DECLINE), F.message)
async def declined(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.clear()
    await query.message.answer(_("Without your consent we cannot register you. Press /start if you change your mind."))


@router.callback_query(Registration.consent, RegCb.filter(F.action == RegAction.AGREE), F.message)
async def agreed(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(None)  # first: a second tap on Agree finds the step over
    user = query.from_user
    account_id = await call(agree, user.id, user.first_name or "", user.last_name or "")
    await state.update_data(account_id=account_id)
    await _after_consent(query.message, state, account_id, user=user)


async def _after_consent(message: Message, state: FSMContext, account_id: int, *, user=None) -> None:
    data = await state.get_data()
    if data.get("kind") == "staff":
        if data.get("invite"):
            await _ask_name(message, state)
            return
        await state.set_state(Registration.invitation)
        await message.answer(_("Please type the invitation code you got from your manager."))
        return
    user = user or message.from_user
    language = translation.get_language() or "ru"
    try:
        await call(become_resident, account_id, user.first_name or "", user.last_name or "", language, data["phone"])
    except ConflictError:
        await state.set_state(Registration.contact)
        await message.answer(
            _("This phone number is registered to another person. Please contact the management company.")
        )
        return
    await message.answer(_("You are registered! Now let us find your apartment."))
    await ask_place(message, state, registration=True)


async def _ask_name(message: Message, state: FSMContext) -> None:
    await state.set_state(Registration.name)
    await message.answer(_("Please type your first and last name, e.g. Aziz Karimov."))


@router.message(Registration.invitation, F.text)
async def invitation_typed(message: Message, state: FSMContext) -> None:
    await state.update_data(invite=message.text.strip())
    data = await state.get_data()
    if data.get("first_name"):  # the name is known (the first code was refused): try the new code at once
        await _join(message, state)
        return
    await _ask_name(message, state)


@router.message(Registration.name, F.text)
async def name_typed(message: Message, state: FSMContext) -> None:
    words = message.text.split()
    if len(words) < 2 or any(len(word) > NAME_MAX for word in words) or message.text.startswith("/"):
        await message.answer(str(hints.hint_for(Registration.name.state)))
        return
    await state.update_data(first_name=words[0], last_name=" ".join(words[1:])[:NAME_MAX])
    await _join(message, state)


async def _join(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(None)  # first: a repeated message finds the step over
    language = translation.get_language() or "ru"
    try:
        joined = await call(
            join_staff,
            data["account_id"],
            data["invite"],
            data["first_name"],
            data["last_name"],
            language,
            data["phone"],
        )
    except AppError as exc:
        await state.set_state(Registration.invitation)
        await message.answer(explain(exc) + "\n" + _("Please type the invitation code again, or /cancel."))
        return
    await state.clear()
    person = await call(person_of, message.from_user.id)
    text = _("Welcome, {name}! You work as: {role}.").format(name=esc(data["first_name"]), role=role_label(joined.role))
    if not joined.phone_saved:
        text += "\n" + _("Your phone number is registered to another person; your manager can sort it out.")
    await message.answer(text, reply_markup=main_menu(person) if person else ReplyKeyboardRemove())
