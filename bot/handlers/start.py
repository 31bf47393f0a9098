"""Greeting and help: /start and /help, answered in the user's Telegram language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.texts import language_of, text

router = Router(name=__name__)


def _language(message: Message) -> str:
    return language_of(message.from_user.language_code if message.from_user else None)


@router.message(CommandStart())
async def start(message: Message) -> None:
    name = message.from_user.first_name if message.from_user else ""
    await message.answer(text("start", _language(message), name=name))


@router.message(Command("help"))
async def help_(message: Message) -> None:
    await message.answer(text("help", _language(message)))
