"""Typed button data shared by several features. The notifications app writes the same ``req:<action>:<number>``
data on the buttons of its messages (Start work, Accept, Return, Open), so those buttons land here too: the values
of :class:`RequestAction` are a contract with it (``tests/bot/test_callbacks.py`` holds both to it).

Fields are enums, so a button is built from a named value and a handler filters on one
(``RequestCb.filter(F.action == RequestAction.OPEN)``); data with a value the enum does not know (an old button of
a bot since changed) matches no handler and gets the fallback's "no longer active".
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class RequestAction(StrEnum):
    """What a button does with a request: open its card, or one of the actions a role's card offers."""

    OPEN = "open"
    START = "start"  # the executor starts work (also the Start work button of an assignment's notification)
    ACCEPT = "accept"  # the applicant accepts the work (with a rating)
    RETURN = "return"  # the applicant returns it
    RATE = "rate"  # the applicant rates work accepted without them
    ANSWER = "answer"  # the applicant answers a manager's question
    COMMENT = "comment"
    PHOTO = "photo"  # the applicant adds photos
    CANCEL = "cancel"  # the applicant cancels


class RequestCb(CallbackData, prefix="req"):
    """An action on a request."""

    action: RequestAction
    number: str


class ListName(StrEnum):
    """The paginated lists (and the moderation queues turned one item at a time)."""

    MINE = "mine"  # a resident's requests
    INSPECTED = "insp"  # the requests an inspector filed
    TASKS = "tasks"
    POOL = "pool"
    ARCHIVE = "archive"
    MGR_NEW = "mgr_new"  # a manager's lists are named as their menu buttons
    MGR_ACTIVE = "mgr_active"
    MGR_CHECK = "mgr_check"
    MGR_RETURNED = "mgr_returned"
    MGR_OVERDUE = "mgr_overdue"
    MGR_MATERIALS = "mgr_materials"
    MGR_LINKS = "mgr_links"
    MGR_VERIFICATIONS = "mgr_verifications"


class PageCb(CallbackData, prefix="page"):
    """A page of a list (from 0)."""

    name: ListName
    page: int
