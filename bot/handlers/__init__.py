"""Every feature's router, in the order they are tried: errors and commands that work everywhere first,
registration, the request card, each role's screens, and the fallback (hints for unexpected input) last.

Each role's screens are a package whose router lets only that role in (:func:`bot.filters.gate`); a manager's
button pressed by anyone else is answered by :mod:`bot.handlers.manager.strangers`, after the managers' gate; a
notification's button of another role the person holds, by :mod:`bot.handlers.other_role`."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    from bot import errors
    from bot.handlers import (
        apartments,
        applicant,
        cards,
        common,
        executor,
        fallback,
        inspector,
        manager,
        other_role,
        start,
    )

    return [
        errors.router,
        common.router,
        start.router,
        cards.router,
        apartments.router,
        applicant.router,
        executor.router,
        inspector.router,
        manager.step_up.router,
        manager.router,
        manager.strangers.router,
        other_role.router,
        fallback.router,
    ]
