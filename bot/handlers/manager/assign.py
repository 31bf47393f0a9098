"""Assigning: the verified executors of the request's trade, least busy first, a page at a time, and the one the
manager picks."""

from __future__ import annotations

import math

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot import lists, render
from bot.handlers.manager.common import ActCb, ManagerAction, card_of, changed_meanwhile, current_version, name_of
from bot.i18n import _
from bot.keyboards import button, keyboard, rows_of
from bot.person import Person
from bot.sync import call
from ukbot.assignment import public as assignment_public
from ukbot.core.errors import AppError, ConflictError, InvalidTransitionError, NotFoundError
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.statuses import Status
from ukbot.users import public as users_public

router = Router(name=__name__)


PER_PAGE = 8  # executors to a page of the choice


class AssignCb(CallbackData, prefix="mgras"):
    number: str
    executor: int
    version: int


class AssignPageCb(CallbackData, prefix="mgrap"):
    """A page (from 0) of the executors to assign the request to, as the manager saw it at ``version``."""

    number: str
    version: int
    page: int


def assign_choices(person: Person, number: str, version: int, page: int = 0) -> tuple[str, InlineKeyboardMarkup | None]:
    """Whom the request can go to: the verified executors of its category with their load, least busy first; page
    ``page`` of them (kept within the pages there are)."""
    request = card_of(person, number)
    if request is None:
        raise NotFoundError(_("No such request."))
    category = render.label("category", request.category)
    trade = users_public.category_specialization(category=request.category)
    ranked = [(ref, load) for ref, load in requests_selectors.executors_by_load(specialization=trade)]
    ranked = [(ref, load) for ref, load in ranked if ref.account_id != request.executor_id]
    if not ranked:
        return _("No other verified executor works in “{category}”.").format(category=category), None
    pages = math.ceil(len(ranked) / PER_PAGE)
    page = min(max(page, 0), pages - 1)  # a page past the end (fewer executors now): the last one
    buttons = [
        button(
            _("{name} · level {level} · {load} in hand").format(name=ref.full_name, level=ref.level, load=load),
            AssignCb(number=number, executor=ref.account_id, version=version),
        )
        for ref, load in ranked[page * PER_PAGE : (page + 1) * PER_PAGE]
    ]
    text = _("Who will do request {number} ({category})? The least busy come first.").format(
        number=number, category=category
    )
    if request.executor_id:
        text += "\n" + _("Now with: {name}.").format(name=render.esc(name_of(request.executor_id)))
    if pages > 1:
        text += "\n\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
    arrows = lists.arrows(page, pages, lambda to: AssignPageCb(number=number, version=version, page=to))
    return text, keyboard(*rows_of(buttons, 1), arrows)


@router.callback_query(ActCb.filter(F.action == ManagerAction.ASSIGN), F.message)
async def assign(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if await call(current_version, person, callback_data.number) != callback_data.version:
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    text, markup = await call(assign_choices, person, callback_data.number, callback_data.version)
    await query.message.answer(text, reply_markup=markup)


@router.callback_query(AssignPageCb.filter(), F.message)
async def assign_page(query: CallbackQuery, callback_data: AssignPageCb, person: Person) -> None:
    await query.answer()
    if await call(current_version, person, callback_data.number) != callback_data.version:
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    text, markup = await call(assign_choices, person, callback_data.number, callback_data.version, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


def _assign(person: Person, number: str, executor_id: int, version: int) -> str:
    card = card_of(person, number)
    if card is not None and card.status == Status.NEW:  # given out by the one dispatch service: logged, capacity kept
        assignment_public.assign_manual(
            number=number, executor_id=executor_id, actor_id=person.account_id, expected_version=version
        )
    else:
        requests_services.request_reassign(
            number=number, executor_id=executor_id, actor_id=person.account_id, expected_version=version
        )
    return _("Request {number} is assigned to {name}.").format(number=number, name=render.esc(name_of(executor_id)))


@router.callback_query(AssignCb.filter(), F.message)
async def assign_chosen(query: CallbackQuery, callback_data: AssignCb, person: Person) -> None:
    await query.answer()
    try:
        text = await call(_assign, person, callback_data.number, callback_data.executor, callback_data.version)
    except (ConflictError, InvalidTransitionError):  # changed meanwhile: a new version, or closed
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    except AppError as exc:
        if exc.code in TAKEN_MEANWHILE:
            await changed_meanwhile(query.message, person, callback_data.number)
            return
        if exc.code != "EXECUTOR_AT_CAPACITY":
            raise
        name = render.esc(await call(name_of, callback_data.executor))
        text = _("{name} already has as many open requests as allowed; choose someone else.").format(name=name)
    await query.message.answer(text)


# Dispatch's refusals that mean the request changed since the manager's screen was drawn.
TAKEN_MEANWHILE = frozenset({"REQUEST_ALREADY_ASSIGNED", "REQUEST_CLOSED", "REQUEST_NOT_ASSIGNABLE"})
