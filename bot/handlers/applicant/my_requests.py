"""My requests: a page of the requests a resident may read (their own and their apartments'), newest first."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import lists
from bot.callbacks import ListName, PageCb
from bot.i18n import _
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors
from ukbot.requests.statuses import Actor

router = Router(name=__name__)


def requests_page(account_id: int, page: int) -> lists.ListPage:
    """One page of the requests the person may read as an applicant (their own and their apartments'), newest
    first; ``page`` counts from 0 and is kept within the pages there are."""

    def read(**window) -> requests_selectors.LinePage:
        return requests_selectors.request_lines(account_id=account_id, actor_kind=Actor.APPLICANT, **window)

    return lists.page_of(
        read,
        page=page,
        empty=_("You have no requests yet. Press “📝 New request” to report a problem."),
        heading=lambda _total, page, pages: _("<b>My requests</b> (page {page} of {pages})").format(
            page=page + 1, pages=pages
        ),
        label=lambda row: _("Open {number}").format(number=row.number),
    )


@router.message(MenuButton("my_requests"))
async def my_requests(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    listing = await call(requests_page, person.account_id, 0)
    await message.answer(listing.text, reply_markup=lists.markup(listing, ListName.MINE))


@router.callback_query(PageCb.filter(F.name == ListName.MINE), F.message)
async def my_requests_page(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    listing = await call(requests_page, person.account_id, callback_data.page)
    await query.message.edit_text(listing.text, reply_markup=lists.markup(listing, ListName.MINE))
