"""Closing a request from its card: the resident accepts the work with a rating (or rates work accepted without
them), or returns it with a reason and photos (Skip before the first, Done with the count after)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import albums
from bot.callbacks import RequestAction
from bot.handlers.applicant.common import (
    FILE,
    MAX_FEEDBACK,
    TEXT,
    ActCb,
    CardStep,
    ResidentCard,
    drop_buttons,
    finish,
    photo_taken,
)
from bot.i18n import _
from bot.keyboards import button, keyboard
from bot.person import Person
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor, Status

router = Router(name=__name__)


async def start_rating(message: Message, state: FSMContext, own: RequestCard, action: RequestAction) -> None:
    if action == RequestAction.ACCEPT and Status.ACCEPTED not in own.moves:
        await state.clear()
        await message.answer(_("Request {number} is not waiting for your acceptance.").format(number=own.number))
        return
    if action == RequestAction.RATE and (own.status != Status.ACCEPTED or own.rating is not None):
        await state.clear()
        await message.answer(_("Request {number} cannot be rated now.").format(number=own.number))
        return
    await state.set_state(ResidentCard.stars)
    await state.update_data(mode=action)
    stars = [button(f"{n} ⭐", ActCb(action=CardStep.STARS, number=own.number, value=str(n))) for n in range(1, 6)]
    await message.answer(
        _("How would you rate the work on request {number}?").format(number=own.number), reply_markup=keyboard(stars)
    )


@router.callback_query(ActCb.filter(F.action == CardStep.STARS), ResidentCard.stars, F.message)
async def stars_chosen(query: CallbackQuery, callback_data: ActCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in {"1", "2", "3", "4", "5"}:
        return
    await drop_buttons(query)
    await state.update_data(rating=int(callback_data.value))
    await state.set_state(ResidentCard.feedback)
    number = (await state.get_data())["number"]
    await query.message.answer(
        _("Thank you! Anything to add? Write a few words, or press Skip."),
        reply_markup=keyboard([button(_("Skip"), ActCb(action=CardStep.SKIP, number=number))]),
    )


async def _rate(message: Message, state: FSMContext, person: Person, feedback: str) -> None:
    data = await state.get_data()
    number, rating = data["number"], data["rating"]
    if data.get("mode") == RequestAction.RATE:
        done = await finish(
            message,
            state,
            requests_services.request_rate,
            number=number,
            actor_id=person.account_id,
            rating=rating,
            feedback=feedback,
        )
    else:
        done = await finish(
            message,
            state,
            requests_services.request_accept,
            number=number,
            actor_kind=Actor.APPLICANT,
            actor_id=person.account_id,
            rating=rating,
            feedback=feedback,
        )
    if done:
        stars = "★" * rating + "☆" * (5 - rating)
        if data.get("mode") == RequestAction.RATE:
            text = _("⭐ Thank you for rating the work on request {number}: {stars}.")
        else:
            text = _("⭐ Thank you! Request {number} is closed with your rating {stars}.")
        await message.answer(text.format(number=number, stars=stars))


@router.message(ResidentCard.feedback, TEXT)
async def feedback_typed(message: Message, state: FSMContext, person: Person) -> None:
    feedback = message.text.strip()
    if len(feedback) > MAX_FEEDBACK:
        await message.answer(
            _("That is too long ({count} characters). Please keep it under {limit}, or press Skip.").format(
                count=len(feedback), limit=MAX_FEEDBACK
            )
        )
        return
    await _rate(message, state, person, feedback)


@router.callback_query(ActCb.filter(F.action == CardStep.SKIP), ResidentCard.feedback, F.message)
async def feedback_skipped(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await drop_buttons(query)
    await _rate(query.message, state, person, "")


# return the work


async def start_return(message: Message, state: FSMContext, own: RequestCard) -> None:
    if Status.RETURNED not in own.moves:
        await state.clear()
        await message.answer(_("Request {number} cannot be returned now.").format(number=own.number))
        return
    await state.set_state(ResidentCard.return_reason)
    await message.answer(
        _("What is wrong with the work on request {number}? Please describe it.").format(number=own.number)
    )


@router.message(ResidentCard.return_reason, TEXT)
async def return_reason_typed(message: Message, state: FSMContext) -> None:
    reason = message.text.strip()
    if not reason or len(reason) > MAX_FEEDBACK:
        await message.answer(_("Please say in up to {limit} characters what is wrong.").format(limit=MAX_FEEDBACK))
        return
    await state.update_data(reason=reason, files=[])
    await state.set_state(ResidentCard.return_photos)
    number = (await state.get_data())["number"]
    skip = button(_("Skip"), ActCb(action=CardStep.DONE, number=number))  # returned without photos
    await albums.ask_photos(message, state, _("You can send photos showing the problem, or press Skip."), skip=skip)


RETURN_PHOTO_STEP = StateFilter(ResidentCard.return_photos, ResidentCard.return_more_photos)


@router.message(RETURN_PHOTO_STEP, FILE)
async def return_photo_sent(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    done = ActCb(action=CardStep.DONE, number=(await state.get_data())["number"])
    await photo_taken(message, bot, state, person, done, ResidentCard.return_more_photos)


@router.callback_query(ActCb.filter(F.action == CardStep.DONE), RETURN_PHOTO_STEP, F.message)
async def return_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await drop_buttons(query)
    data = await state.get_data()
    done = await finish(
        query.message,
        state,
        requests_services.request_return,
        number=data["number"],
        actor_kind=Actor.APPLICANT,
        actor_id=person.account_id,
        reason=data["reason"],
        photos=[media_id for media_id, _kind in data.get("files", [])],
    )
    if done:
        await query.message.answer(
            _("↩️ Request {number} is returned to work. We will tell you when it is fixed.").format(
                number=data["number"]
            )
        )
