"""How every step that takes photos answers them, so each says only what it shows.

- Before the first photo the question has Skip under it where photos are optional, and no button where one is
  required (:func:`ask_photos`).
- Each photo taken is answered with "✅ Done (n)" under the answer, n the photos so far; the buttons of the message
  before (Skip, or the Done of the photo before) go, so one button with the right count is live (:func:`counted`).
- An album (photos sent together) is answered once. Telegram delivers each photo of an album as a message of its
  own with the same ``media_group_id``; the per-person lock hands them to the bot one at a time. The first is
  answered, and that answer is edited to count each photo after it.
- Past the step's limit the refusal is said once an album, not once a photo (:func:`take_photo`).

What was answered is kept in the dialog state (:data:`KEYS`), so a restart of the bot in the middle of an album
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import render
from bot.files import FileRefused, store_file
from bot.i18n import _, n_
from bot.keyboards import button, keyboard

# The dialog data this module keeps: the message whose buttons are live, the album answered there and how many of
# its photos, and the album whose photos past the limit were refused.
KEYS = ("keys_at", "album", "album_added", "album_refused")


def photos_added(count: int) -> str:
    """The answer to an album of photos, ``count`` of them taken so far."""
    return n_(
        "📷 {count} photo added. Send more, or press Done.", "📷 {count} photos added. Send more, or press Done.", count
    ).format(count=count)


def done_keyboard(done: CallbackData, count: int) -> InlineKeyboardMarkup | None:
    """The one button under a photo's answer: "✅ Done (count)", sending ``done``."""
    return keyboard([button(_("✅ Done ({count})").format(count=count), done)])


async def ask_photos(message: Message, state: FSMContext, text: str, *, skip: InlineKeyboardButton | None) -> None:
    """Ask for photos with ``text``, ``skip`` under it where photos are optional (None where one is required); the
    first photo's answer puts Done in its place."""
    sent = await message.answer(text, reply_markup=keyboard([skip] if skip else []))
    await state.update_data(keys_at=sent.message_id if skip else None, album=None, album_added=0, album_refused=None)


async def take_photo(
    message: Message,
    bot: Bot,
    state: FSMContext,
    *,
    owner_id: int,
    key: str,
    limit: int,
    full: str | None = None,
    entry: Callable[[str], object] | None = None,
) -> int:
    """Store the message's photo (or file) as ``owner_id``'s upload and add it to the list ``key`` of the dialog
    data (as ``entry(media id)``, or the media id); return how many the list holds now, or 0 when refused: a file
    the media app refuses (saying why), or one past ``limit`` (saying ``full``, by default that it is the most the
    step takes, once an album)."""
    data = await state.get_data()
    if len(data.get(key, [])) >= limit:
        album = message.media_group_id
        if album is None or album != data.get("album_refused"):
            await message.answer(full or _("That is the most I can take. Press Done."))  # Done is under the last answer
            await state.update_data(album_refused=album)
        return 0
    try:
        media_id = await store_file(bot, message, owner_id=owner_id)
    except FileRefused as refused:
        await message.answer(render.esc(refused.message))
        return 0
    # read again: the file was downloaded meanwhile (updates of one person run one at a time, so none is lost)
    items = [*(await state.get_data()).get(key, []), entry(media_id) if entry else media_id]
    await state.update_data({key: items})
    return len(items)


async def counted(
    message: Message,
    bot: Bot,
    state: FSMContext,
    *,
    count: int,
    done: CallbackData,
    single: str,
    added: Callable[[int], str] = photos_added,
) -> None:
    """Answer the photo just taken, ``count`` in all, with "✅ Done (count)" (sending ``done``) under the answer:
    ``single`` for a photo sent on its own; for one of an album, ``added(n)`` with n the album's photos so far, in
    the album's one answer."""
    data = await state.get_data()
    album, shown = message.media_group_id, data.get("keys_at")
    markup = done_keyboard(done, count)
    taken = 1  # photos of this album answered so far
    if album is not None and album == data.get("album") and shown:
        taken = data.get("album_added", 1) + 1
        try:
            await bot.edit_message_text(added(taken), chat_id=message.chat.id, message_id=shown, reply_markup=markup)
        except TelegramBadRequest:  # the answer is gone (the person deleted it): a new one says it
            pass
        else:
            await state.update_data(album_added=taken)
            return
    if shown:
        with suppress(TelegramBadRequest):  # an old message Telegram no longer edits keeps its buttons
            await bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=shown, reply_markup=None)
    sent = await message.answer(added(taken) if album is not None else single, reply_markup=markup)
    await state.update_data(keys_at=sent.message_id, album=album, album_added=taken)
