"""The texts a manager types when a step waits for one: a question to the applicant, the reason of a return, a
cancellation or a refusal, the comment of an acceptance on the applicant's behalf."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import hints, render
from bot.errors import explain
from bot.handlers.manager.common import Dialog, changed_meanwhile, name_of, status_text
from bot.handlers.manager.materials import decide
from bot.handlers.manager.moderation import send_link, send_verification
from bot.i18n import _
from bot.menus import is_menu_text
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import ConflictError, ValidationFailedError
from ukbot.requests import services as requests_services
from ukbot.requests.statuses import Actor, Status
from ukbot.users import public as users_public
from ukbot.users import services as users_services
from ukbot.users.services import verification

router = Router(name=__name__)


def _with_text(person: Person, step: str, data: dict, text: str) -> str:
    """Make the move the dialog was waiting for with ``text`` as its question, reason or comment (DB thread)."""
    me = person.account_id
    number, version = data.get("number", ""), data.get("version")
    if step == Dialog.question.state:
        requests_services.request_move(
            number=number,
            to_status=Status.CLARIFICATION,
            actor_kind=Actor.MANAGER,
            actor_id=me,
            reason=text,
            expected_version=version,
        )
        return _("Your question on request {number} was sent to the applicant.").format(number=number)
    if step == Dialog.return_reason.state:
        requests_services.request_return(
            number=number, actor_kind=Actor.MANAGER, actor_id=me, reason=text, expected_version=version
        )
        return status_text(person, number)
    if step == Dialog.accept_comment.state:
        requests_services.request_accept(
            number=number, actor_kind=Actor.MANAGER, actor_id=me, reason=text, expected_version=version
        )
        return status_text(person, number)
    if step == Dialog.cancel_reason.state:
        requests_services.request_move(
            number=number,
            to_status=Status.CANCELLED,
            actor_kind=Actor.MANAGER,
            actor_id=me,
            reason=text,
            expected_version=version,
        )
        return status_text(person, number)
    if step == Dialog.material_reason.state:
        return decide(person, data["id"], "rejected", text)
    if step == Dialog.link_reason.state:
        users_services.apartment_link_reject(link_id=data["id"], reviewer_id=me, reason=text)
        link = users_public.apartment_link_brief(link_id=data["id"])
        return _("Rejected: {who}. They will be told why.").format(who=render.esc(name_of(link.account_id)))
    verification.verification_review(application_id=data["id"], reviewer_id=me, approve=False, reason=text)
    application = users_public.verification_brief(application_id=data["id"])
    return _("Rejected: {who}. They will be told why.").format(who=render.esc(name_of(application.account_id)))


# A menu button pressed mid-dialog is not the awaited text: it falls through to its own handler below.
@router.message(StateFilter(*Dialog.__states__), F.text.func(lambda text: text is not None and not is_menu_text(text)))
async def text_given(message: Message, state: FSMContext, person: Person) -> None:
    step = await state.get_state()
    text = message.text.strip()
    if not text:
        await message.answer(hints.hint_for(step) or _("Please write it as a text message."))
        return
    data = await state.get_data()
    await state.clear()  # before the service call: a repeated message finds the dialog over
    try:
        reply = await call(_with_text, person, step, data, text)
    except ValidationFailedError as exc:  # e.g. too long: stay on this step and say so
        await state.set_state(step)
        await state.set_data(data)
        await message.answer(f"{explain(exc)}\n\n{hints.hint_for(step)}")
        return
    except ConflictError as exc:
        if data.get("number"):
            await changed_meanwhile(message, person, data["number"])
            return
        reply = explain(exc)  # an apartment link or application decided by another manager meanwhile
    await message.answer(reply)
    if step == Dialog.link_reason.state:
        await send_link(message, 0)
    elif step == Dialog.verification_reason.state:
        await send_verification(message, 0)
