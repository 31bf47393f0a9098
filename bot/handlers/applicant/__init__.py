"""The screens of people who file requests as residents: the New request wizard, My requests and their
notifications (residents only: inspectors have their own report and list, :mod:`bot.handlers.inspector`), and
what they do on their own request's card (residents and inspectors alike: both act on requests as applicants,
see ``Person.actor_kind``).

The role is checked once, at this package's router; the wizard and the list narrow it to residents at theirs.
"""

from __future__ import annotations

from aiogram import Router

from bot.filters import ActiveRole, gate
from bot.handlers.applicant import card, closing, my_requests, new_request, notifications

router = gate(Router(name=__name__), ActiveRole("applicant", "inspector"))
router.include_routers(
    gate(new_request.router, ActiveRole("applicant")),
    gate(my_requests.router, ActiveRole("applicant")),
    gate(notifications.router, ActiveRole("applicant")),
    card.router,
    closing.router,
)
