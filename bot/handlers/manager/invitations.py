"""Invitations: a manager invites an executor (with trade and level) or an inspector, an administrator also a
manager, and gets a one-time code and link that expire."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import hints, render
from bot.i18n import _, __
from bot.keyboards import button, keyboard, rows_of
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.users.roles import Role
from ukbot.users.services import invitations
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey

router = Router(name=__name__)


class InviteCb(CallbackData, prefix="mgrinv"):
    value: str


class Invite(StatesGroup):
    role = State()
    specialization = State()
    level = State()
    expiry = State()


for _state in (Invite.role, Invite.specialization, Invite.level, Invite.expiry):
    hints.register(_state, __("Choose with the buttons above, or /cancel to stop."))

EXPIRY_LABELS = {"1h": __("1 hour"), "24h": __("24 hours"), "7d": __("7 days")}


def _invitable(person: Person) -> list[str]:
    roles = [Role.EXECUTOR.value, Role.INSPECTOR.value]
    if person.role == Role.ADMIN:  # only administrators bring in managers
        roles.append(Role.MANAGER.value)
    return roles


@router.message(MenuButton("mgr_invite"))
async def invite(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    await state.set_state(Invite.role)
    buttons = [button(str(Role(role).label), InviteCb(value=role)) for role in _invitable(person)]
    await message.answer(_("Whom are you inviting?"), reply_markup=keyboard(*rows_of(buttons, 2)))


async def _ask_expiry(message: Message, state: FSMContext) -> None:
    await state.set_state(Invite.expiry)
    buttons = [button(str(label), InviteCb(value=key)) for key, label in EXPIRY_LABELS.items()]
    await message.answer(_("How long may the invitation be used?"), reply_markup=keyboard(buttons))


@router.callback_query(Invite.role, InviteCb.filter(), F.message)
async def invite_role(query: CallbackQuery, callback_data: InviteCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value not in _invitable(person):
        await query.message.answer(_("You cannot invite into this role."))
        return
    await state.update_data(role=callback_data.value)
    if callback_data.value != Role.EXECUTOR:
        await _ask_expiry(query.message, state)
        return
    await state.set_state(Invite.specialization)
    buttons = [button(str(label), InviteCb(value=key)) for key, label in SpecializationKey.choices]
    await query.message.answer(_("Which trade?"), reply_markup=keyboard(*rows_of(buttons, 2)))


@router.callback_query(Invite.specialization, InviteCb.filter(), F.message)
async def invite_trade(query: CallbackQuery, callback_data: InviteCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in SpecializationKey.values:
        return
    await state.update_data(specialization=callback_data.value)
    await state.set_state(Invite.level)
    buttons = [button(str(level), InviteCb(value=str(level))) for level in range(MIN_LEVEL, MAX_LEVEL + 1)]
    await query.message.answer(_("Which level (1 is a beginner, 5 a master)?"), reply_markup=keyboard(buttons))


@router.callback_query(Invite.level, InviteCb.filter(), F.message)
async def invite_level(query: CallbackQuery, callback_data: InviteCb, state: FSMContext) -> None:
    await query.answer()
    if not callback_data.value.isdigit() or not MIN_LEVEL <= int(callback_data.value) <= MAX_LEVEL:
        return
    await state.update_data(level=int(callback_data.value))
    await _ask_expiry(query.message, state)


def _invitation(person: Person, data: dict, expires_in: str) -> str:
    issued = invitations.invitation_create(
        created_by=person.account_id,
        role=data["role"],
        expires_in=expires_in,
        specialization=data.get("specialization", ""),
        level=data.get("level"),
        may_invite_managers=person.role == Role.ADMIN,
    )
    return issued.code


@router.callback_query(Invite.expiry, InviteCb.filter(F.value.in_(set(EXPIRY_LABELS))), F.message)
async def invite_expiry(query: CallbackQuery, callback_data: InviteCb, state: FSMContext, person: Person, bot: Bot):
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before creating: a double tap makes one invitation
    code = await call(_invitation, person, data, callback_data.value)
    me = await bot.get_me()
    link = f"https://t.me/{me.username}?start=inv_{code}"
    role = str(Role(data["role"]).label)
    if data.get("specialization"):
        role = _("{role} — {trade}, level {level}").format(
            role=role, trade=SpecializationKey(data["specialization"]).label, level=data.get("level") or MIN_LEVEL
        )
    text = _(
        "✉️ Invitation for: {role}\nValid for: {expiry}, once.\n\nCode: <code>{code}</code>\nLink: {link}\n\n"
        "Send the link to the person, or read them the code to type after /start."
    ).format(role=render.esc(role), expiry=EXPIRY_LABELS[callback_data.value], code=code, link=render.esc(link))
    await query.message.answer(text)
