"""The manager's buttons on a request card (the moves the card offers, and assigning while the services allow
it), the questions and reasons they ask for, and Confirm."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton

from bot.handlers.cards import register_actions
from bot.handlers.manager.common import ActCb, Dialog, ManagerAction, changed_meanwhile, current_version, status_text
from bot.i18n import _, __
from bot.keyboards import button
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import ConflictError
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor, Status

router = Router(name=__name__)


PROMPTS = {
    ManagerAction.CLARIFY: (Dialog.question, __("Write your question to the applicant of request {number}.")),
    ManagerAction.RETURN: (
        Dialog.return_reason,
        __("Why does request {number} go back to work? The executor will read it."),
    ),
    ManagerAction.ACCEPT: (
        Dialog.accept_comment,
        __("You accept request {number} on the applicant's behalf. Write a comment: why?"),
    ),
    ManagerAction.CANCEL: (Dialog.cancel_reason, __("Why is request {number} cancelled? The applicant will read it.")),
}


def card_actions(person: Person, card: RequestCard) -> list[list[InlineKeyboardButton]]:
    """The manager's buttons on a request card: the moves the card offers now, and (re)assigning while the
    services allow it."""
    moves = card.moves

    def act(text: str, action: ManagerAction) -> InlineKeyboardButton:
        return button(text, ActCb(action=action, number=card.number, version=card.version))

    work = []
    if card.status == Status.NEW and Status.ASSIGNED in moves:
        work.append(act(_("👷 Assign"), ManagerAction.ASSIGN))
    elif card.status in requests_services.REASSIGNABLE:
        work.append(act(_("👷 Reassign") if card.executor_id else _("👷 Assign"), ManagerAction.ASSIGN))
    if Status.CLARIFICATION in moves:
        work.append(act(_("❓ Clarify"), ManagerAction.CLARIFY))
    if card.has_materials:
        work.append(act(_("📦 Materials"), ManagerAction.MATERIALS))
    check = []
    if Status.CONFIRMED in moves:
        check.append(act(_("✅ Confirm"), ManagerAction.CONFIRM))
    if card.status in {Status.COMPLETED, Status.RETURNED} and Status.IN_PROGRESS in moves:
        check.append(act(_("↩️ Return to work"), ManagerAction.RETURN))
    close = []
    if Status.ACCEPTED in moves:
        close.append(act(_("⭐ Accept on behalf"), ManagerAction.ACCEPT))
    if Status.CANCELLED in moves:
        close.append(act(_("✖️ Cancel"), ManagerAction.CANCEL))
    return [row for row in (work, check, close) if row]


register_actions("manager", card_actions)


@router.callback_query(ActCb.filter(F.action.in_(set(PROMPTS))), F.message)
async def ask_text(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if await call(current_version, person, callback_data.number) != callback_data.version:
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    target, prompt = PROMPTS[callback_data.action]
    await state.set_state(target)
    await state.set_data({"number": callback_data.number, "version": callback_data.version})
    await query.message.answer(str(prompt).format(number=callback_data.number))


def _confirm(person: Person, number: str, version: int) -> str:
    requests_services.request_move(
        number=number,
        to_status=Status.CONFIRMED,
        actor_kind=Actor.MANAGER,
        actor_id=person.account_id,
        expected_version=version,
    )
    return status_text(person, number)


@router.callback_query(ActCb.filter(F.action == ManagerAction.CONFIRM), F.message)
async def confirm(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    try:
        text = await call(_confirm, person, callback_data.number, callback_data.version)
    except ConflictError:
        await changed_meanwhile(query.message, person, callback_data.number)
        return
    await query.message.answer(text)
