"""Assigning: the verified executors of the request's trade, least busy first, and the one the manager picks."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot import render
from bot.handlers.manager.common import ActCb, ManagerAction, card_of, changed_meanwhile, current_version, name_of
from bot.i18n import _
from bot.keyboards import button, keyboard, rows_of
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import ConflictError, NotFoundError
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.users import public as users_public

router = Router(name=__name__)


class AssignCb(CallbackData, prefix="mgras"):
    number: str
    executor: int
    version: int


def assign_choices(person: Person, number: str, version: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Whom the request can go to: the verified executors of its category with their load, least busy first."""
    request = card_of(person, number)
    if request is None:
        raise NotFoundError(_("No such request."))
    category = render.label("category", request.category)
    trade = users_public.category_specialization(category=request.category)
    ranked = [(ref, load) for ref, load in requests_selectors.executors_by_load(specialization=trade)]
    ranked = [(ref, load) for ref, load in ranked if ref.account_id != request.executor_id]
    if not ranked:
        return _("No other verified executor works in “{category}”.").format(category=category), None
    buttons = [
        button(
            _("{name} · level {level} · {load} in hand").format(name=ref.full_name, level=ref.level, load=load),
            AssignCb(number=number, executor=ref.account_id, version=version),
        )
        for ref, load in ranked[:20]
    ]
    text = _("Who will do request {number} ({category})? The least busy come first.").format(
        number=number, category=category
    )
    if request.executor_id:
        text += "\n" + _("Now with: {name}.").format(name=render.esc(name_of(request.executor_id)))
    return text, keyboard(*rows_of(buttons, 1))


@router.callback_query(ActCb.filter(F.action == ManagerAction.ASSIGN), F.message)
async def assign(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if await call(current_version, person, callback_data.number) != callback_data.version:
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    text, markup = await call(assign_choices, person, callback_data.number, callback_data.version)
    await query.message.answer(text, reply_markup=markup)


def _assign(person: Person, number: str, executor_id: int, version: int) -> str:
    requests_services.request_reassign(
        number=number, executor_id=executor_id, actor_id=person.account_id, expected_version=version
    )
    return _("Request {number} is assigned to {name}.").format(number=number, name=render.esc(name_of(executor_id)))


@router.callback_query(AssignCb.filter(), F.message)
async def assign_chosen(query: CallbackQuery, callback_data: AssignCb, person: Person) -> None:
    await query.answer()
    try:
        text = await call(_assign, person, callback_data.number, callback_data.executor, callback_data.version)
    except ConflictError:
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    await query.message.answer(text)
