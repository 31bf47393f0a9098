"""Feature routers of the bot, one module each; the dispatcher includes them in this order."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import start


def routers() -> list[Router]:
    return [start.router]
