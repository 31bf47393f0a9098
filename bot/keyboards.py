"""Inline keyboards from typed button data: the few helpers every screen of the bot builds its buttons with."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """An inline button that sends ``data``."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def rows_of(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    """``buttons`` laid out ``width`` to a row."""
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup | None:
    """The rows that have buttons as an inline keyboard; None when none has (a message without buttons)."""
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=kept) if kept else None
