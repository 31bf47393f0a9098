"""What the manager's screens share: the card's button data (with the version the manager saw), the texts a
manager types, names, and what to say when somebody changed a request meanwhile."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot import hints, render
from bot.handlers.cards import show_card
from bot.i18n import _, __
from bot.person import Person
from ukbot.requests import selectors as requests_selectors
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor
from ukbot.users import public as users_public

# the active roles the manager's screens are for (the package's gate, and who is told a button is merely stale)
MANAGER_ROLES = ("manager", "admin")


class ManagerAction(StrEnum):
    """A button of the manager's card."""

    ASSIGN = "assign"  # or reassign
    CLARIFY = "clarify"  # ask the applicant a question
    MATERIALS = "materials"  # the request's material lines
    CONFIRM = "confirm"  # the work done
    RETURN = "return"  # the work, to the executor
    ACCEPT = "accept"  # on the applicant's behalf
    CANCEL = "cancel"


class ActCb(CallbackData, prefix="mgr"):
    """A card action on a request at the version the manager saw."""

    action: ManagerAction
    number: str
    version: int


class Dialog(StatesGroup):
    """Waiting for a text the manager types: a question, a reason or a comment."""

    question = State()
    return_reason = State()
    accept_comment = State()
    cancel_reason = State()
    material_reason = State()
    link_reason = State()
    verification_reason = State()


hints.register(Dialog.question, __("Write your question to the applicant as a text message, or /cancel."))
hints.register(Dialog.return_reason, __("Write why the work goes back, as a text message, or /cancel."))
hints.register(Dialog.accept_comment, __("Write why you accept on the applicant's behalf, or /cancel."))
hints.register(Dialog.cancel_reason, __("Write why the request is cancelled, as a text message, or /cancel."))
hints.register(Dialog.material_reason, __("Write why the material is rejected, as a text message, or /cancel."))
hints.register(Dialog.link_reason, __("Write why the apartment link is rejected, as a text message, or /cancel."))
hints.register(Dialog.verification_reason, __("Write why the application is rejected, as a text message, or /cancel."))


def name_of(account_id: int | None) -> str:
    if account_id is None:
        return "—"
    return users_public.person_names(account_ids=[account_id])[account_id]


def card_of(person: Person, number: str) -> RequestCard | None:
    return requests_selectors.request_card(account_id=person.account_id, actor_kind=Actor.MANAGER, number=number)


def status_text(person: Person, number: str) -> str:
    card = card_of(person, number)
    status = render.label("status", card.status) if card else "—"
    return _("Done: request {number} is now “{status}”.").format(number=number, status=status)


def current_version(person: Person, number: str) -> int | None:
    card = card_of(person, number)
    return card.version if card else None


async def changed_meanwhile(message: Message, person: Person, number: str) -> None:
    await message.answer(
        _("Somebody changed request {number} meanwhile; nothing was done. Here it is now:").format(number=number)
    )
    await show_card(message, person, number)
