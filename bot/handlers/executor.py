"""(being built) the executor screens of the bot."""

from __future__ import annotations

from aiogram import Router

router = Router(name=__name__)
