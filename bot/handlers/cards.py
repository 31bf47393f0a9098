"""A request's card, the same for every role but for its buttons, which each role's module supplies.

``req:open:<number>`` (from a list, a notification or a ``/start req_<number>`` deep link) shows the card to
whoever may read the request; each role's module registers what its card offers with :func:`register_actions`,
from the :class:`~ukbot.requests.selectors.RequestCard` it is given (the moves this person may make, whether they
act on the request at all), never from rules of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from django.utils.translation import get_language

from bot import render
from bot.callbacks import RequestAction, RequestCb
from bot.i18n import _
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors
from ukbot.requests.selectors import RequestCard

router = Router(name=__name__)

Actions = Callable[[Person, RequestCard], list[list[InlineKeyboardButton]]]
_ACTIONS: dict[str, Actions] = {}


def register_actions(kind: str, actions: Actions) -> None:
    """Let ``actions(person, card)`` give the buttons of the card to a person acting as ``kind`` (manager, executor,
    applicant)."""
    _ACTIONS[kind] = actions


def card_of(person: Person, number: str) -> RequestCard | None:
    """The request as the person sees it in their active role (an executor also one of their pool), its address in
    their language, or None when they may not see it. Read in the database thread."""
    return requests_selectors.request_card(
        account_id=person.account_id, actor_kind=person.actor_kind, number=number, language=get_language()
    )


def card_view(person: Person, number: str) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The card text and its buttons for the person, or None when they may not read the request."""
    card = card_of(person, number)
    if card is None:
        return None
    actions = _ACTIONS.get(person.actor_kind)
    rows = actions(person, card) if actions else []
    return render.card(card), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def show_card(message: Message, person: Person, number: str) -> None:
    """Send the request's card (or say it cannot be found) to the chat of ``message``."""
    view = await call(card_view, person, number)
    if view is None:
        await message.answer(_("Request {number} was not found.").format(number=render.esc(number)))
        return
    text, markup = view
    await message.answer(text, reply_markup=markup)


@router.callback_query(RequestCb.filter(F.action == RequestAction.OPEN), F.message)
async def open_card(query: CallbackQuery, callback_data: RequestCb, person: Person | None) -> None:
    await query.answer()
    if person is None:
        await query.message.answer(_("Press /start to register."))
        return
    await show_card(query.message, person, callback_data.number)
