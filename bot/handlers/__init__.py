"""Every feature's router, in the order they are tried: commands that work everywhere first, the fallback last."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    from bot import errors
    from bot.handlers import cards, common, fallback, start

    return [errors.router, common.router, start.router, cards.router, fallback.router]
