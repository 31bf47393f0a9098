"""What the executor's screens share: the buttons on a request, a trade as it reads, the executor's own request
and the check that it is in a state an action needs."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery
from django.utils.translation import get_language

from bot import render
from bot.i18n import _
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor
from ukbot.users import public as users_public


class ExecAction(StrEnum):
    """What an executor's button does with a request: a move or an action of the card, or a step of a wizard."""

    CLAIM = "claim"
    START = "start"
    RESUME = "resume"
    MATERIALS = "mat"  # ask for materials
    WAIT = "wait"  # wait for materials
    COMPLETE = "done"
    WAIT_FOR_MATERIALS = "mwait"  # the materials wizard: the request waits for them...
    KEEP_WORKING = "mnow"  # ...or work goes on
    PHOTOS_DONE = "pdone"  # the completion wizard: the photos are sent...
    SKIP_COMMENT = "skip"  # ...and no comment


class ExecCb(CallbackData, prefix="ex"):
    """An executor's action on a request."""

    action: ExecAction
    number: str


def trade_label(key: str) -> str:
    """A specialization as it reads in the active language."""
    return users_public.label(field="specialization", value=key, language=get_language() or "ru")


def my_request(account_id: int, number: str) -> RequestCard | None:
    """The request if it is assigned to this executor, else None (one of their pool is not theirs yet)."""
    card = requests_selectors.request_card(account_id=account_id, actor_kind=Actor.EXECUTOR, number=number)
    return card if card is not None and card.party else None


def request_status(account_id: int, number: str) -> str | None:
    """The status of the executor's own request, or None when it is not theirs."""
    request = my_request(account_id, number)
    return request.status if request is not None else None


async def own(query: CallbackQuery, person: Person, number: str, statuses) -> str | None:
    """The request's status if it is the executor's and in one of ``statuses``; else say why not and return None."""
    status = await call(request_status, person.account_id, number)
    if status is None:
        await query.message.answer(_("Request {number} was not found.").format(number=render.esc(number)))
        return None
    if status not in statuses:
        await query.message.answer(
            _("Request {number} is {status} now; this cannot be done.").format(
                number=number, status=render.label("status", status)
            )
        )
        return None
    return status
