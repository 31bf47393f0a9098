"""Turning what the apps refuse into a message for the person, and keeping the bot up whatever a handler does."""

from __future__ import annotations

import html
import logging
from contextlib import suppress

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from django.utils import translation

from bot.files import FileRefused
from bot.i18n import _
from bot.person import DEFAULT_LANGUAGE
from ukbot.core.errors import AppError

log = logging.getLogger(__name__)
router = Router(name=__name__)
# Error codes whose details are for programs, not people (see explain).
MESSAGE_ONLY = frozenset({"INVALID_TRANSITION", "TOO_MANY_ATTEMPTS", "RATE_LIMITED"})


def explain(exc: AppError) -> str:
    """Return an app error as the person should read it: the message, then each detail on its own line (escaped).

    Some codes carry details for programs only: a refused move (the moves still allowed, in the API's terms) and a
    wait (its seconds, which the message already says in words); those are left out."""
    lines = [html.escape(str(exc.message))]
    if exc.code in MESSAGE_ONLY:
        return lines[0]
    for detail in exc.details:
        text = html.escape(str(detail.message))
        if text not in lines:
            lines.append(f"• {text}")
    return "\n".join(lines)


async def _tell(event: ErrorEvent, text: str) -> None:
    """Say ``text`` in the chat of the update. A press is answered too, if the handler had not (the session sends
    one answer per press, see :class:`bot.middlewares.AnswerOnce`); a failed answer (a press older than Telegram
    keeps) never costs the message."""
    update = event.update
    query = update.callback_query
    if query is not None:
        with suppress(Exception):
            await query.answer()
    message = query.message if query is not None else update.message
    if message is None:
        return
    try:
        await message.answer(text)
    except Exception:  # the person may have blocked the bot meanwhile; nothing more to do then
        log.info("bot: could not explain a failure of update %s", update.update_id, exc_info=True)


# aiogram's error handlers run outside the person middleware, after it has left the person's language: each
# handler switches to it again (the middleware put it in the data the handlers receive).


@router.errors(ExceptionTypeFilter(AppError))
async def app_error(event: ErrorEvent, language: str = DEFAULT_LANGUAGE) -> None:
    with translation.override(language):
        await _tell(event, explain(event.exception))


@router.errors(ExceptionTypeFilter(FileRefused))
async def file_refused(event: ErrorEvent) -> None:
    await _tell(event, html.escape(event.exception.message))  # translated when it was raised


@router.errors(ExceptionTypeFilter(TelegramBadRequest))
async def bad_request(event: ErrorEvent) -> None:
    # "message is not modified" (a repeated tap), "message to edit not found" (an old message): nothing to fix.
    log.info("bot: Telegram refused a call while handling update %s: %s", event.update.update_id, event.exception)


@router.errors()
async def unexpected(event: ErrorEvent, language: str = DEFAULT_LANGUAGE) -> None:
    log.exception("bot: update %s failed", event.update.update_id, exc_info=event.exception)
    with translation.override(language):
        await _tell(event, _("Sorry, something went wrong on our side. Please try again in a minute."))
