"""The executor's screens: the shift (with location and live location), my tasks, the pool of free requests with
Claim and the archive, the actions on their requests (start, materials, waiting, complete), and verification.

Every database call goes through :func:`bot.sync.call` to small synchronous functions that call the apps'
services and selectors and hand back plain data. The role is checked once, at this package's router.
"""

from __future__ import annotations

from aiogram import Router

from bot.filters import ActiveRole, gate
from bot.handlers.executor import card, completion, location, materials, shift, tasks, verification

router = gate(Router(name=__name__), ActiveRole("executor"))
# The shift's location steps come before the location shared at any other time.
router.include_routers(
    tasks.router, shift.router, location.router, verification.router, card.router, materials.router, completion.router
)
