"""The manager's (dispatcher's) screens, the same for admins: request lists, the card's actions (assign, clarify,
materials, confirm, return, accept on behalf, cancel), material decisions, invitations, and the moderation of
apartment links and executor verifications with their documents.

Every button here carries what it acts on and, for a request, the version the manager saw: when somebody else
changed the request meanwhile (another manager assigned it, a double tap already confirmed it) the service refuses
the stale version and the manager is told, instead of overwriting the other change.

The role is checked once, at this package's router. A manager's button pressed by anyone else is answered by
:mod:`.strangers`, whose router comes after this one (outside the gate). Staff with a second factor confirm it
with a code before manager actions, once per period (:mod:`.step_up`, whose router comes before this one).
"""

from __future__ import annotations

from aiogram import Router

from bot.filters import ActiveRole, gate
from bot.handlers.manager import assign, card, invitations, lists, materials, moderation, step_up, strangers, texts
from bot.handlers.manager.common import MANAGER_ROLES

__all__ = ["router", "step_up", "strangers"]

router = gate(Router(name=__name__), ActiveRole(*MANAGER_ROLES))
# A manager with a second factor confirms it in the bot before any handler here runs (step_up.router takes the code).
router.message.middleware(step_up.StepUp())
router.callback_query.middleware(step_up.StepUp())
router.include_routers(
    lists.router,
    card.router,
    assign.router,
    materials.router,
    texts.router,
    invitations.router,
    moderation.router,
)
