"""A request's card, the same for every role but for its buttons, which each role's module supplies.

``req:open:<number>`` (from a list, a notification or a ``/start req_<number>`` deep link) shows the card to
whoever may read the request; each role's module registers what its card offers with :func:`register_actions`.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import render
from bot.callbacks import RequestCb
from bot.i18n import _
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors

router = Router(name=__name__)

Actions = Callable[[Person, object], list[list[InlineKeyboardButton]]]
_ACTIONS: dict[str, Actions] = {}


def actor_kind(person: Person) -> str:
    """How the person acts on requests in their active role: manager, executor or applicant (inspectors file
    requests as applicants do)."""
    if person.role in {"manager", "admin"}:
        return "manager"
    return "executor" if person.role == "executor" else "applicant"


def register_actions(kind: str, actions: Actions) -> None:
    """Let ``actions(person, request)`` (run in the database thread) give the buttons of ``kind``'s card."""
    _ACTIONS[kind] = actions


def visible_request(person: Person, number: str):
    """The request if the person may read it in their active role (an executor also the pool's), else None."""
    kind = actor_kind(person)
    found = requests_selectors.requests_visible_to(account_id=person.account_id, actor_kind=kind).filter(pk=number)
    request = found.first()
    if request is None and kind == "executor":
        request = requests_selectors.pool_for(executor_id=person.account_id).filter(pk=number).first()
    return request


def card_view(person: Person, number: str) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The card text and its buttons for the person, or None when they may not read the request."""
    request = visible_request(person, number)
    if request is None:
        return None
    text = render.card(request)
    actions = _ACTIONS.get(actor_kind(person))
    rows = actions(person, request) if actions else []
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def show_card(message: Message, person: Person, number: str) -> None:
    """Send the request's card (or say it cannot be found) to the chat of ``message``."""
    view = await call(card_view, person, number)
    if view is None:
        await message.answer(_("Request {number} was not found.").format(number=render.esc(number)))
        return
    text, markup = view
    await message.answer(text, reply_markup=markup)


@router.callback_query(RequestCb.filter(F.action == "open"), F.message)
async def open_card(query: CallbackQuery, callback_data: RequestCb, person: Person | None) -> None:
    await query.answer()
    if person is None:
        await query.message.answer(_("Press /start to register."))
        return
    await show_card(query.message, person, callback_data.number)
