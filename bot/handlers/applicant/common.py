"""What the applicant's dialogs share: what counts as typed text or a file in a step, taking the buttons off an
answered message, taking the photos a person sends (for a new request, a card, a return), and the card dialogs'
states and buttons, with the way each ends (:func:`finish`)."""

from __future__ import annotations

from contextlib import suppress
from enum import StrEnum

from aiogram import Bot, F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import albums, hints
from bot.errors import explain
from bot.i18n import _, __, n_
from bot.menus import is_menu_text
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import ValidationFailedError
from ukbot.requests import services as requests_services

MAX_FILES = requests_services.MAX_ATTACHMENTS
# Text typed in a dialog step: not a command (commands are answered elsewhere or get the step's hint) and not a
# menu button (a menu button leaves the dialog for that screen; its handler may come later than the step's).
TEXT = F.text & ~F.text.startswith("/") & ~F.text.func(is_menu_text)
FILE = F.photo | F.document


async def drop_buttons(query: CallbackQuery) -> None:
    """Take the buttons off the message that was answered, so it cannot be pressed again by mistake."""
    if isinstance(query.message, Message):
        with suppress(Exception):
            await query.message.edit_reply_markup(reply_markup=None)


def _kind_of(message: Message) -> str:
    """Photos (and images sent as files) are photos "before"; other files are documents."""
    if message.photo or (message.document and (message.document.mime_type or "").startswith("image/")):
        return "before"
    return "document"


async def take_file(message: Message, bot: Bot, state: FSMContext, person: Person) -> int:
    """Store the message's file as the person's upload and remember it in the dialog; return how many there are
    now (0 when refused, after saying why: past the limit, once an album)."""
    return await albums.take_photo(
        message,
        bot,
        state,
        owner_id=person.account_id,
        key="files",
        limit=MAX_FILES,
        full=_("That is as many files as a request can hold ({limit}). Press Done.").format(limit=MAX_FILES),
        entry=lambda media_id: [media_id, _kind_of(message)],
    )


async def photo_taken(
    message: Message, bot: Bot, state: FSMContext, person: Person, done: CallbackData, more: State
) -> bool:
    """Take the message's file (:func:`take_file`), go on to ``more`` (the step with photos) and say how many there
    are, with "✅ Done (n)" sending ``done`` (an album is answered once, :mod:`bot.albums`); return whether it was
    taken."""
    count = await take_file(message, bot, state, person)
    if count:
        await state.set_state(more)
        single = n_(
            "Got {count} photo. Send more, or press Done.", "Got {count} photos. Send more, or press Done.", count
        ).format(count=count)
        await albums.counted(message, bot, state, count=count, done=done, single=single)
    return bool(count)


MAX_FEEDBACK = 2000


class ResidentCard(StatesGroup):
    comment = State()
    photos = State()  # none yet: no button (photos are what the step adds)
    more_photos = State()  # one or more: Done
    answer = State()
    stars = State()
    feedback = State()
    return_reason = State()
    return_photos = State()  # none yet: Skip (the work is returned without photos)
    return_more_photos = State()  # one or more: Done
    cancel = State()


class CardStep(StrEnum):
    """A button inside a card dialog."""

    STARS = "stars"  # a rating, in ``value``
    SKIP = "skip"  # no feedback
    DONE = "done"  # the photos are sent
    YES = "yes"
    NO = "no"


class ActCb(CallbackData, prefix="aact"):
    action: CardStep
    number: str
    value: str = ""


for _state, _hint in (
    (ResidentCard.comment, __("Type your comment as text, or /cancel.")),
    (ResidentCard.photos, __("Send a photo, or /cancel.")),
    (ResidentCard.more_photos, __("Send a photo, or press Done.")),
    (ResidentCard.answer, __("Type your answer as text, or /cancel.")),
    (ResidentCard.stars, __("Rate the work with the stars above.")),
    (ResidentCard.feedback, __("Write your feedback as text, or press Skip.")),
    (ResidentCard.return_reason, __("Say in words what is wrong with the work, or /cancel.")),
    (ResidentCard.return_photos, __("Send a photo, or press Skip.")),
    (ResidentCard.return_more_photos, __("Send a photo, or press Done.")),
    (ResidentCard.cancel, __("Press Yes or No above.")),
):
    hints.register(_state, _hint)
del _state, _hint


async def finish(message: Message, state: FSMContext, function, /, **kwargs) -> bool:
    """End the dialog, then run the service; on a validation refusal put the dialog back where it was (the person
    can try again) and say why. Return whether the service went through."""
    step, data = await state.get_state(), await state.get_data()
    await state.clear()  # before the service: a repeated message or tap finds the dialog over
    try:
        await call(function, **kwargs)
    except ValidationFailedError as exc:
        await state.set_state(step)
        await state.set_data(data)
        await message.answer(explain(exc))
        return False
    return True
