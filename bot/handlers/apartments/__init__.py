"""A resident's apartments: the wizard that asks for a new link (:mod:`.wizard`, also run by registration) and "My
apartments" (:mod:`.mine`).

Registered people only, checked once at this package's router; "My apartments" narrows it to residents at its own.
"""

from __future__ import annotations

from aiogram import Router

from bot.filters import ActiveRole, Registered, gate
from bot.handlers.apartments import mine, wizard

router = gate(Router(name=__name__), Registered())
router.include_routers(wizard.router, gate(mine.router, ActiveRole("applicant")))
