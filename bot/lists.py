"""A paginated list of requests, the same for every role: a page read in the database thread (:func:`page_of`, from
a selector of :mod:`ukbot.requests.selectors` giving a :class:`~ukbot.requests.selectors.LinePage`), then its
buttons (:func:`markup`): Open for each request, and ◀️ ▶️ to turn the page (:class:`bot.callbacks.PageCb` with the
list's name)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import render
from bot.callbacks import ListName, PageCb, RequestAction, RequestCb
from bot.i18n import _
from bot.keyboards import button, keyboard
from ukbot.requests.selectors import LinePage, RequestLine

PER_PAGE = 5


@dataclass(frozen=True)
class ListPage:
    """One page of a list of requests, ready to show: its text, and the number and button label of each request."""

    text: str
    numbers: tuple[str, ...]
    labels: tuple[str, ...]
    page: int
    pages: int


def bounds(total: int, page: int) -> tuple[int, int]:
    """The number of pages of ``total`` entries, and ``page`` (from 0) brought within them."""
    pages = max(1, math.ceil(total / PER_PAGE))
    return pages, min(max(page, 0), pages - 1)


def request_label(request: RequestLine) -> str:
    """A request on its Open button: icon, number, category."""
    return f"{render.ICONS.get(request.status, '•')} {request.number} · {render.label('category', request.category)}"


def page_of(
    read: Callable[..., LinePage],
    *,
    page: int,
    title: str = "",
    empty: str,
    heading: Callable[[int, int, int], str] | None = None,
    entry: Callable[[RequestLine], str] = render.line,
    label: Callable[[RequestLine], str] = request_label,
) -> ListPage:
    """Page ``page`` (from 0, kept within the pages there are) of the list ``read(offset=, limit=)`` gives, in its
    order; ``empty`` when there are none. The text is the bold ``title``, an ``entry`` per request and "Page x of y"
    when there are more pages; or, with ``heading(total, page, pages)``, that heading and the entries. Read in the
    database thread."""
    found = read(offset=max(page, 0) * PER_PAGE, limit=PER_PAGE)
    pages, kept = bounds(found.total, page)
    if kept != max(page, 0):  # a page past the end (the list got shorter meanwhile): show the last one
        found = read(offset=kept * PER_PAGE, limit=PER_PAGE)
    page, rows = kept, found.lines
    if not rows:
        return ListPage(str(empty), (), (), 0, 1)
    top = heading(found.total, page, pages) if heading is not None else f"<b>{title}</b>"
    text = "\n\n".join([top, *(entry(row) for row in rows)])
    if heading is None and pages > 1:
        text += "\n\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
    return ListPage(text, tuple(row.number for row in rows), tuple(label(row) for row in rows), page, pages)


def nav(name: ListName, page: int, pages: int) -> list[InlineKeyboardButton]:
    """◀️ and ▶️ to the pages before and after ``page`` of the list ``name``, those there are."""
    row = []
    if page > 0:
        row.append(button("◀️", PageCb(name=name, page=page - 1)))
    if page < pages - 1:
        row.append(button("▶️", PageCb(name=name, page=page + 1)))
    return row


def markup(
    listing: ListPage,
    name: ListName,
    *,
    extra: Callable[[str], list[InlineKeyboardButton]] | None = None,
    per_row: int = 1,
) -> InlineKeyboardMarkup | None:
    """An Open button for each request of the page (followed by ``extra(number)``, if given), ``per_row`` requests
    to a row, then the page arrows; None for an empty page."""
    requests = [
        [button(text, RequestCb(action=RequestAction.OPEN, number=number)), *(extra(number) if extra else ())]
        for number, text in zip(listing.numbers, listing.labels, strict=True)
    ]
    rows = [[b for request in requests[i : i + per_row] for b in request] for i in range(0, len(requests), per_row)]
    return keyboard(*rows, nav(name, listing.page, listing.pages))


def arrows(page: int, pages: int, to: Callable[[int], CallbackData]) -> list[InlineKeyboardButton]:
    """◀️ and ▶️ to the pages before and after ``page`` (from 0) of ``pages``, those there are, for a list whose
    pages are not a :class:`~bot.callbacks.ListName`'s (:func:`nav`): ``to(page)`` is the data of the button."""
    row = []
    if page > 0:
        row.append(button("◀️", to(page - 1)))
    if page < pages - 1:
        row.append(button("▶️", to(page + 1)))
    return row
