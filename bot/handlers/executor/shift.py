"""The shift: start it (in which trade, with or without the location), see it, end it."""

from __future__ import annotations

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
)
from django.utils import timezone

from bot import hints, render
from bot.errors import explain
from bot.handlers.common import show_menu
from bot.handlers.executor.common import trade_label
from bot.i18n import _, __, texts_of
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.shifts import selectors as shifts_selectors
from ukbot.shifts import services as shifts_services
from ukbot.users import public as users_public

router = Router(name=__name__)


WITHOUT_LOCATION = __("➡️ Without location")
SHARE_LOCATION = __("📍 Share location")


class ShiftAction(StrEnum):
    START = "start"
    END = "end"
    TRADE = "trade"  # the trade of the shift to start is chosen (its specialization in ``value``)


class ShiftCb(CallbackData, prefix="shift"):
    action: ShiftAction
    value: str = ""


class ShiftForm(StatesGroup):
    start_location = State()
    end_location = State()


hints.register(ShiftForm.start_location, __("Share your location with the button below, or press “Without location”."))
hints.register(ShiftForm.end_location, __("Share your location with the button below, or press “Without location”."))


@dataclass(frozen=True)
class ShiftNow:
    """Whether the executor is on shift, since when and in which trade; and the trades they have."""

    shift_id: int | None
    since: str
    trade: str
    trades: tuple[str, ...]


def shift_now(account_id: int) -> ShiftNow:
    """The executor's shift as the bot shows it."""
    shift = shifts_selectors.shift_current(executor_id=account_id)
    trades = tuple(sorted(users_public.specializations_of(account_id=account_id)))
    if shift is None:
        return ShiftNow(None, "", "", trades)
    return ShiftNow(shift.shift_id, render.when(shift.started_at), trade_label(shift.specialization), trades)


def shift_start(account_id: int, trade: str | None, latitude=None, longitude=None) -> str:
    """Start a shift now; return what to say."""
    shift = shifts_services.shift_start(
        executor_id=account_id, specialization=trade, latitude=latitude, longitude=longitude
    )
    return _(
        "✅ Your shift ({trade}) has started at {time}.\n"
        "Free requests of your trade are in “🆓 Free requests”.\n"
        "Tip: share your live location (📎 → Location → Share live location) so the dispatcher sees where you are."
    ).format(trade=trade_label(shift.specialization), time=timezone.localtime(shift.actual_start).strftime("%H:%M"))


def shift_end(account_id: int, shift_id: int, latitude=None, longitude=None) -> str:
    """End the shift; return what to say."""
    shift = shifts_services.shift_end(executor_id=account_id, shift_id=shift_id, latitude=latitude, longitude=longitude)
    minutes = int((shift.actual_end - shift.actual_start).total_seconds() // 60)
    return _("🏁 Your shift has ended. You worked {hours} h {minutes} min. Thank you!").format(
        hours=minutes // 60, minutes=minutes % 60
    )


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=str(SHARE_LOCATION), request_location=True)],
            [KeyboardButton(text=str(WITHOUT_LOCATION))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@router.message(MenuButton("shift"))
async def shift(message: Message, person: Person) -> None:
    now = await call(shift_now, person.account_id)
    if now.shift_id is None:
        text = _("You are off shift.")
        button = InlineKeyboardButton(text=_("▶️ Start shift"), callback_data=ShiftCb(action=ShiftAction.START).pack())
    else:
        text = _("🟢 You are on shift ({trade}) since {since}.").format(trade=now.trade, since=now.since)
        button = InlineKeyboardButton(text=_("🏁 End shift"), callback_data=ShiftCb(action=ShiftAction.END).pack())
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))


async def _ask_location(message: Message, state: FSMContext, to: State, **data) -> None:
    await state.set_state(to)
    await state.set_data(data)
    text = (
        _("Share your location to start the shift, or press “Without location”.")
        if to == ShiftForm.start_location
        else _("Share your location to end the shift, or press “Without location”.")
    )
    await message.answer(text, reply_markup=_location_keyboard())


@router.callback_query(ShiftCb.filter(F.action == ShiftAction.START), F.message)
async def shift_start_pressed(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    now = await call(shift_now, person.account_id)
    if now.shift_id is not None:
        await query.message.answer(_("You are already on shift."))
        return
    if not now.trades:
        await query.message.answer(_("You have no specialization yet. Apply in “🪪 Verification” first."))
        return
    if len(now.trades) == 1:
        await _ask_location(query.message, state, ShiftForm.start_location, trade=now.trades[0])
        return
    rows = [
        [InlineKeyboardButton(text=trade_label(key), callback_data=ShiftCb(action=ShiftAction.TRADE, value=key).pack())]
        for key in now.trades
    ]
    await query.message.answer(
        _("Which trade is this shift in?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(ShiftCb.filter(F.action == ShiftAction.TRADE), F.message)
async def shift_trade_chosen(query: CallbackQuery, callback_data: ShiftCb, state: FSMContext) -> None:
    await query.answer()
    await _ask_location(query.message, state, ShiftForm.start_location, trade=callback_data.value)


@router.callback_query(ShiftCb.filter(F.action == ShiftAction.END), F.message)
async def shift_end_pressed(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    now = await call(shift_now, person.account_id)
    if now.shift_id is None:
        await query.message.answer(_("You are off shift."))
        return
    await _ask_location(query.message, state, ShiftForm.end_location, shift_id=now.shift_id)


def _coordinates(message: Message) -> tuple[float | None, float | None]:
    if message.location is None:
        return None, None
    return message.location.latitude, message.location.longitude


@router.message(ShiftForm.start_location, F.location | F.text.in_(texts_of(WITHOUT_LOCATION)))
async def shift_start_located(message: Message, state: FSMContext, person: Person) -> None:
    data = await state.get_data()
    await state.clear()
    latitude, longitude = _coordinates(message)
    try:
        text = await call(shift_start, person.account_id, data.get("trade"), latitude, longitude)
    except AppError as exc:
        text = explain(exc)
    await show_menu(message, person, text)


@router.message(ShiftForm.end_location, F.location | F.text.in_(texts_of(WITHOUT_LOCATION)))
async def shift_end_located(message: Message, state: FSMContext, person: Person) -> None:
    data = await state.get_data()
    await state.clear()
    latitude, longitude = _coordinates(message)
    try:
        text = await call(shift_end, person.account_id, data["shift_id"], latitude, longitude)
    except AppError as exc:
        text = explain(exc)
    await show_menu(message, person, text)
