"""What a resident (or an inspector, who files requests as residents do) does on their own request's card: the
buttons :mod:`bot.handlers.cards` shows (from the moves the card offers), and the dialogs they start: comment, add
photos, answer a manager's question, cancel; accepting, rating and returning are in :mod:`.closing`.

Each dialog clears its state BEFORE calling a service, so a repeated message or tap finds it over; a validation
refusal puts it back where it was (:func:`.common.finish`).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from bot import albums, render
from bot.callbacks import RequestAction, RequestCb
from bot.handlers.applicant.closing import start_rating, start_return
from bot.handlers.applicant.common import FILE, TEXT, ActCb, CardStep, ResidentCard, drop_buttons, finish, photo_taken
from bot.handlers.cards import register_actions
from bot.i18n import _, n_
from bot.keyboards import button, keyboard
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor, Status

router = Router(name=__name__)


def card_actions(person: Person, card: RequestCard) -> list[list[InlineKeyboardButton]]:
    """The applicant's buttons on their own request's card, from the moves the card offers (co-residents' requests
    are read-only)."""
    if not card.party:
        return []
    number, status, moves = card.number, card.status, card.moves
    rows = []
    if status == Status.CLARIFICATION:
        rows.append([button(_("💬 Answer the question"), RequestCb(action=RequestAction.ANSWER, number=number))])
    if Status.ACCEPTED in moves:
        rows.append([button(_("⭐ Accept"), RequestCb(action=RequestAction.ACCEPT, number=number))])
    if Status.RETURNED in moves:
        rows.append([button(_("↩️ Return"), RequestCb(action=RequestAction.RETURN, number=number))])
    if status == Status.ACCEPTED and card.rating is None:
        rows.append([button(_("⭐ Rate"), RequestCb(action=RequestAction.RATE, number=number))])
    if status != Status.CANCELLED:
        rows.append([button(_("💬 Comment"), RequestCb(action=RequestAction.COMMENT, number=number))])
    if not card.closed:
        rows.append([button(_("📎 Add photo"), RequestCb(action=RequestAction.PHOTO, number=number))])
    if Status.CANCELLED in moves:
        rows.append([button(_("✖️ Cancel request"), RequestCb(action=RequestAction.CANCEL, number=number))])
    return rows


register_actions("applicant", card_actions)


def own_request(account_id: int, number: str) -> RequestCard | None:
    """The request if ``account_id`` filed it, else None (someone else's looks the same as a missing one)."""
    card = requests_selectors.request_card(account_id=account_id, actor_kind=Actor.APPLICANT, number=number)
    return card if card is not None and card.party else None


async def _own(query: CallbackQuery, person: Person, number: str) -> RequestCard | None:
    own = await call(own_request, person.account_id, number)
    if own is None:
        await query.message.answer(_("Request {number} was not found.").format(number=render.esc(number)))
    return own


CARD_ACTIONS = {
    RequestAction.COMMENT,
    RequestAction.PHOTO,
    RequestAction.CANCEL,
    RequestAction.ANSWER,
    RequestAction.ACCEPT,
    RequestAction.RETURN,
    RequestAction.RATE,
}


@router.callback_query(RequestCb.filter(F.action.in_(CARD_ACTIONS)), F.message)
async def card_action(query: CallbackQuery, callback_data: RequestCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    own = await _own(query, person, callback_data.number)
    if own is None:
        return
    await state.clear()
    await state.update_data(number=own.number)
    message, number, action = query.message, own.number, callback_data.action
    if action == RequestAction.COMMENT:
        await state.set_state(ResidentCard.comment)
        await message.answer(_("Write your comment on request {number}.").format(number=number))
    elif action == RequestAction.PHOTO:
        await state.set_state(ResidentCard.photos)
        await state.update_data(files=[])
        text = _("Send the photos for request {number} (one or more), or /cancel.").format(number=number)
        await albums.ask_photos(message, state, text, skip=None)  # Done comes with the first photo
    elif action == RequestAction.ANSWER:
        await _start_answer(message, state, own)
    elif action == RequestAction.CANCEL:
        await _start_cancel(message, state, own)
    elif action in {RequestAction.ACCEPT, RequestAction.RATE}:
        await start_rating(message, state, own, action)
    elif action == RequestAction.RETURN:
        await start_return(message, state, own)


# comment


@router.message(ResidentCard.comment, TEXT)
async def comment_typed(message: Message, state: FSMContext, person: Person) -> None:
    number = (await state.get_data())["number"]
    done = await finish(
        message,
        state,
        requests_services.comment_add,
        number=number,
        author_id=person.account_id,
        actor_kind=Actor.APPLICANT,
        text=message.text,
    )
    if done:
        await message.answer(_("💬 Your comment is added to request {number}.").format(number=number))


# add photos


PHOTO_STEP = StateFilter(ResidentCard.photos, ResidentCard.more_photos)


@router.message(PHOTO_STEP, FILE)
async def card_photo_sent(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    number = (await state.get_data())["number"]
    await photo_taken(message, bot, state, person, ActCb(action=CardStep.DONE, number=number), ResidentCard.more_photos)


@router.callback_query(ActCb.filter(F.action == CardStep.DONE), PHOTO_STEP, F.message)
async def card_photos_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await drop_buttons(query)
    data = await state.get_data()
    if not data.get("files"):  # an old Done: none is shown before a photo
        await query.message.answer(_("Send a photo, or /cancel."))
        return
    done = await finish(
        query.message,
        state,
        requests_services.files_attach,
        number=data["number"],
        files=[(media_id, kind) for media_id, kind in data["files"]],
        actor_id=person.account_id,
        actor_kind=Actor.APPLICANT,
    )
    if done:
        count = len(data["files"])
        text = n_(
            "📎 {count} file is added to request {number}.", "📎 {count} files are added to request {number}.", count
        )
        await query.message.answer(text.format(count=count, number=data["number"]))


# clarification


async def _start_answer(message: Message, state: FSMContext, own: RequestCard) -> None:
    if own.status != Status.CLARIFICATION:
        await state.clear()
        await message.answer(_("No question is waiting for your answer on request {number}.").format(number=own.number))
        return
    await state.set_state(ResidentCard.answer)
    question = f"\n\n❓ <i>{render.esc(own.question)}</i>" if own.question else ""
    await message.answer(
        _("The manager asks about request {number}:").format(number=own.number)
        + question
        + "\n\n"
        + _("Type your answer.")
    )


@router.message(ResidentCard.answer, TEXT)
async def answer_typed(message: Message, state: FSMContext, person: Person) -> None:
    number = (await state.get_data())["number"]
    done = await finish(
        message,
        state,
        requests_services.clarification_answer,
        number=number,
        actor_id=person.account_id,
        answer=message.text,
    )
    if done:
        await message.answer(_("Thank you! Your answer is passed on; request {number} goes on.").format(number=number))


# cancel


async def _start_cancel(message: Message, state: FSMContext, own: RequestCard) -> None:
    if Status.CANCELLED not in own.moves:
        await state.clear()
        await message.answer(
            _(
                "Request {number} is already being worked on and cannot be cancelled now. Write a comment instead."
            ).format(number=own.number)
        )
        return
    await state.set_state(ResidentCard.cancel)
    markup = keyboard(
        [
            button(_("Yes, cancel it"), ActCb(action=CardStep.YES, number=own.number)),
            button(_("No"), ActCb(action=CardStep.NO, number=own.number)),
        ]
    )
    await message.answer(_("Cancel request {number}?").format(number=own.number), reply_markup=markup)


@router.callback_query(ActCb.filter(F.action.in_({CardStep.YES, CardStep.NO})), ResidentCard.cancel, F.message)
async def cancel_answered(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await drop_buttons(query)
    number = (await state.get_data())["number"]
    if callback_data.action == CardStep.NO:
        await state.clear()
        await query.message.answer(_("OK, request {number} stays open.").format(number=number))
        return
    done = await finish(
        query.message,
        state,
        requests_services.request_move,
        number=number,
        to_status=Status.CANCELLED,
        actor_kind=Actor.APPLICANT,
        actor_id=person.account_id,
    )
    if done:
        await query.message.answer(_("✖️ Request {number} is cancelled.").format(number=number))
