"""Typed button data shared by several features. The notifications app writes the same ``req:<action>:<number>``
data on the buttons of its messages (Start work, Accept, Return, Open), so those buttons land here too."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class RequestCb(CallbackData, prefix="req"):
    """An action on a request: ``open`` (its card) and the actions of each role's card."""

    action: str
    number: str


class PageCb(CallbackData, prefix="page"):
    """A page of a list (``name`` says which list: ``mine``, ``tasks``, ``pool``, ``mgr_new``…)."""

    name: str
    page: int
