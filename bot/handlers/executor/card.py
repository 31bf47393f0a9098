"""The executor's buttons on a request card (from the moves the card offers) and the moves they make: claim from
the pool, start or resume work (also the Start work button of an assignment's notification), wait for
materials."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from bot import render
from bot.callbacks import RequestAction, RequestCb
from bot.errors import explain
from bot.handlers.cards import register_actions, show_card
from bot.handlers.executor.common import ExecAction, ExecCb, my_request
from bot.i18n import _
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor, Status

router = Router(name=__name__)


def move(account_id: int, number: str, to_status: str) -> tuple[bool, str]:
    """Move the executor's request; return (whether it is theirs, what to say)."""
    request = my_request(account_id, number)
    if request is None:
        return False, _("Request {number} was not found.").format(number=render.esc(number))
    if request.status == to_status:
        return True, _("Request {number} is already {status}.").format(
            number=number, status=render.label("status", to_status)
        )
    requests_services.request_move(number=number, to_status=to_status, actor_kind=Actor.EXECUTOR, actor_id=account_id)
    said = {
        Status.IN_PROGRESS: _("🔧 Work on request {number} has started."),
        Status.WAITING_MATERIALS: _("📦 Request {number} is waiting for materials."),
    }.get(to_status, _("Request {number} updated."))
    return True, said.format(number=number)


def claim(account_id: int, number: str) -> tuple[bool, str]:
    """Take a request from the pool; the state machine's service decides (the request must still be new, of the
    executor's trade, and they on shift in it). Return (taken, what to say)."""
    try:
        requests_services.request_move(
            number=number, to_status=Status.ASSIGNED, actor_kind=Actor.EXECUTOR, actor_id=account_id
        )
    except NotFoundError:
        return False, _("Request {number} was not found.").format(number=render.esc(number))
    except InvalidTransitionError:  # no longer new: somebody took it, maybe this executor a moment earlier
        if my_request(account_id, number) is not None:
            return True, _("Request {number} is already yours.").format(number=number)
        return False, _("Sorry, request {number} has already been taken by someone else.").format(number=number)
    except PermissionDeniedError as refused:  # another trade, or off shift in it
        return False, explain(refused)
    return True, _("👍 Request {number} is yours now. Press “Start work” when you begin.").format(number=number)


def card_actions(person: Person, card: RequestCard) -> list[list[InlineKeyboardButton]]:
    """The executor's buttons on a request card, from the moves the card offers: Claim on one of their pool, the
    work's next steps on their own."""

    def button(text: str, action: ExecAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=ExecCb(action=action, number=card.number).pack())

    moves = card.moves
    if not card.party:
        return [[button(_("✋ Claim"), ExecAction.CLAIM)]] if Status.ASSIGNED in moves else []
    rows = []
    if Status.IN_PROGRESS in moves:
        start = card.status == Status.ASSIGNED
        rows.append(
            [
                button(
                    _("🔧 Start work") if start else _("▶️ Resume work"),
                    ExecAction.START if start else ExecAction.RESUME,
                )
            ]
        )
    if Status.COMPLETED in moves:
        rows.append([button(_("✅ Complete"), ExecAction.COMPLETE)])
    materials = (
        [button(_("📦 Request materials"), ExecAction.MATERIALS)]
        if card.status in requests_services.MATERIAL_STAGES
        else []
    )
    if Status.WAITING_MATERIALS in moves:
        materials.append(button(_("⏸ Wait for materials"), ExecAction.WAIT))
    return [*rows, materials] if materials else rows


register_actions("executor", card_actions)


async def _moved(message: Message, person: Person, number: str, to_status: str) -> None:
    mine, text = await call(move, person.account_id, number, to_status)
    await message.answer(text)
    if mine:
        await show_card(message, person, number)


@router.callback_query(ExecCb.filter(F.action == ExecAction.CLAIM), F.message)
async def claim_pressed(query: CallbackQuery, callback_data: ExecCb, person: Person) -> None:
    await query.answer()
    taken, text = await call(claim, person.account_id, callback_data.number)
    await query.message.answer(text)
    if taken:
        await show_card(query.message, person, callback_data.number)


@router.callback_query(ExecCb.filter(F.action.in_({ExecAction.START, ExecAction.RESUME})), F.message)
@router.callback_query(RequestCb.filter(F.action == RequestAction.START), F.message)
async def start_pressed(query: CallbackQuery, callback_data: ExecCb | RequestCb, person: Person) -> None:
    """Start work (also the Start work button of a new assignment's notification) or resume it."""
    await query.answer()
    await _moved(query.message, person, callback_data.number, Status.IN_PROGRESS)


@router.callback_query(ExecCb.filter(F.action == ExecAction.WAIT), F.message)
async def wait_pressed(query: CallbackQuery, callback_data: ExecCb, person: Person) -> None:
    await query.answer()
    await _moved(query.message, person, callback_data.number, Status.WAITING_MATERIALS)
