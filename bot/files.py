"""Photos and documents sent to the bot, stored through the media app as the person's own uploads."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import Message

from bot.i18n import _
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.media import services as media_services

# Telegram lets a bot download files up to 20 MB; the media app's own limits per type are checked after.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


class FileRefused(Exception):
    """The file cannot be taken; ``message`` says why, in the person's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sent_file(message: Message):
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return photo.file_id, photo.file_size, f"photo-{photo.file_unique_id}.jpg"
    if message.document:
        document = message.document
        return document.file_id, document.file_size, document.file_name or f"file-{document.file_unique_id}"
    return None


def has_file(message: Message) -> bool:
    """Tell whether the message carries a photo or a document."""
    return _sent_file(message) is not None


async def store_file(bot: Bot, message: Message, *, owner_id: int) -> str:
    """Download the photo or document of ``message`` from Telegram and store it as ``owner_id``'s upload; return
    the media id.

    :raises FileRefused: no file, a file over Telegram's download limit, or one the media app refuses (type, size).
    """
    sent = _sent_file(message)
    if sent is None:
        raise FileRefused(_("Please send a photo."))
    file_id, size, name = sent
    if size is not None and size > TELEGRAM_DOWNLOAD_LIMIT:
        raise FileRefused(_("This file is too large. Please send a file under 20 MB."))
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    buffer.seek(0)
    try:
        row = await call(media_services.media_upload, owner_id=owner_id, file=buffer, name=name, size=size)
    except AppError as exc:
        raise FileRefused(str(exc.message)) from None
    return str(row.pk)
