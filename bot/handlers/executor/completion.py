"""Completing the work: photos of the finished work (at least one; Done comes with the first), then a short comment
(or none)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import albums, hints
from bot.errors import explain
from bot.handlers.executor.common import ExecAction, ExecCb, own
from bot.i18n import _, __
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.requests import services as requests_services
from ukbot.requests.statuses import Status

router = Router(name=__name__)


MAX_PHOTOS = 10


class CompleteForm(StatesGroup):
    photos = State()  # none yet: no button (the work is reported with a photo at least)
    more_photos = State()  # one or more: Done
    comment = State()


PHOTO_STEP = StateFilter(CompleteForm.photos, CompleteForm.more_photos)

hints.register(CompleteForm.photos, __("Send a photo of the finished work. /cancel to stop."))
hints.register(CompleteForm.more_photos, __("Send a photo of the finished work, or press Done. /cancel to stop."))
hints.register(CompleteForm.comment, __("Write a short comment about the work, or press Skip."))


def complete(account_id: int, number: str, photos: list[str], comment: str) -> str:
    """Report the work done; return what to say."""
    requests_services.request_complete(number=number, actor_id=account_id, photos=photos, comment=comment)
    return _("✅ Request {number} is completed. Thank you! The manager will check the work.").format(number=number)


@router.callback_query(ExecCb.filter(F.action == ExecAction.COMPLETE), F.message)
async def complete_pressed(query: CallbackQuery, callback_data: ExecCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if await own(query, person, callback_data.number, {Status.IN_PROGRESS}) is None:
        return
    await state.set_state(CompleteForm.photos)
    await state.set_data({"number": callback_data.number, "photos": []})
    await albums.ask_photos(query.message, state, _("Send photos of the finished work (one or more)."), skip=None)


@router.message(PHOTO_STEP, F.photo | F.document)
async def complete_photo(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    count = await albums.take_photo(
        message,
        bot,
        state,
        owner_id=person.account_id,
        key="photos",
        limit=MAX_PHOTOS,
    )
    if not count:
        return
    await state.set_state(CompleteForm.more_photos)
    done = ExecCb(action=ExecAction.PHOTOS_DONE, number=(await state.get_data())["number"])
    single = _("Photo {count} received. Send more or press Done.").format(count=count)
    await albums.counted(message, bot, state, count=count, done=done, single=single)


@router.callback_query(PHOTO_STEP, ExecCb.filter(F.action == ExecAction.PHOTOS_DONE), F.message)
async def complete_photos_done(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    data = await state.get_data()
    if not data["photos"]:
        await query.message.answer(_("Send at least one photo of the finished work first."))
        return
    await state.set_state(CompleteForm.comment)
    skip = ExecCb(action=ExecAction.SKIP_COMMENT, number=data["number"]).pack()
    await query.message.answer(
        _("Write a short comment about the work done, or press Skip."),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=_("⏭ Skip"), callback_data=skip)]]
        ),
    )


async def _complete(message: Message, state: FSMContext, person: Person, comment: str) -> None:
    data = await state.get_data()
    await state.clear()  # before the call: a second tap or message finds the dialog over
    try:
        text = await call(complete, person.account_id, data["number"], data["photos"], comment)
    except AppError as exc:
        text = explain(exc)
    await message.answer(text)


@router.message(CompleteForm.comment, F.text)
async def complete_comment(message: Message, state: FSMContext, person: Person) -> None:
    await _complete(message, state, person, message.text)


@router.callback_query(CompleteForm.comment, ExecCb.filter(F.action == ExecAction.SKIP_COMMENT), F.message)
async def complete_skip(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _complete(query.message, state, person, "")
