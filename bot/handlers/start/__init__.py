"""/start: the greeting of a registered person and the deep links (:mod:`.welcome`), and the registration of a
newcomer (:mod:`.registration`). A blocked person is answered here before anything else of theirs."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.start import registration, welcome

router = Router(name=__name__)
router.include_routers(welcome.router, registration.router)
