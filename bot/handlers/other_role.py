"""A button of a role the person holds but is not working in now: the Start work of an assignment's notification
pressed while they work as a resident, or Accept on their own request's notification pressed while they work as
an executor. The press switches them to that role (they are told, with its menu) and does what the button says.

Tried after every role's router, so it only sees presses none of them took.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import RequestAction, RequestCb
from bot.handlers.applicant.card import card_action
from bot.handlers.common import show_menu
from bot.handlers.executor.card import start_pressed
from bot.i18n import _
from bot.person import Person, person_of
from bot.sync import call
from ukbot.users import services as users_services
from ukbot.users.roles import Role

router = Router(name=__name__)

# The role each button of a notification is for.
ROLE_OF_ACTION = {
    RequestAction.START: "executor",
    RequestAction.ACCEPT: "applicant",
    RequestAction.RETURN: "applicant",
    RequestAction.RATE: "applicant",
    RequestAction.ANSWER: "applicant",
}


@router.callback_query(RequestCb.filter(F.action.in_(set(ROLE_OF_ACTION))), F.message)
async def in_its_role(query: CallbackQuery, callback_data: RequestCb, state: FSMContext, person: Person | None) -> None:
    role = ROLE_OF_ACTION[callback_data.action]
    message = query.message
    if person is None or person.blocked or role not in person.roles or person.role == role:
        raise SkipHandler  # not a role of theirs (or already theirs, and refused there): the fallback answers
    await call(users_services.active_role_switch, account_id=person.account_id, role=role)
    await state.clear()
    switched = await call(person_of, query.from_user.id)
    assert switched is not None  # the same person, a moment later
    if isinstance(message, Message):
        await show_menu(message, switched, _("You now work as: {role}.").format(role=Role(role).label))
    if role == "executor":
        await start_pressed(query, callback_data, switched)
    else:
        await card_action(query, callback_data, state, switched)
