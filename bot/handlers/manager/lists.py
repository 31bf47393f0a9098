"""The manager's request lists (new, in work, awaiting check, returned, overdue): a page of each, oldest first."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import lists, render
from bot.callbacks import ListName, PageCb
from bot.i18n import _, __, texts_of
from bot.menus import BUTTONS, MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors
from ukbot.requests.statuses import Actor, Status

router = Router(name=__name__)


ACTIVE = (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MATERIALS, Status.CLARIFICATION)
LISTS = {
    ListName.MGR_NEW: (__("🆕 New requests"), __("No new requests."), (Status.NEW,)),
    ListName.MGR_ACTIVE: (__("⚙️ Requests in work"), __("No requests in work."), ACTIVE),
    ListName.MGR_CHECK: (
        __("✅ Completed, awaiting your check"),
        __("Nothing awaits your check."),
        (Status.COMPLETED,),
    ),
    ListName.MGR_RETURNED: (__("↩️ Returned by applicants"), __("No returned requests."), (Status.RETURNED,)),
    ListName.MGR_OVERDUE: (__("⏰ Overdue requests"), __("No overdue requests. 👍"), None),  # None: by deadlines
}


def list_page(person: Person, name: ListName, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of a manager's request list: entries, an Open button per request, and page arrows."""
    title, empty, statuses = LISTS[name]

    def read(**window) -> requests_selectors.LinePage:
        return requests_selectors.request_lines(
            account_id=person.account_id,
            actor_kind=Actor.MANAGER,
            statuses=statuses,
            overdue=statuses is None,
            order="oldest",
            **window,
        )

    def heading(total: int, page: int, pages: int) -> str:
        header = f"<b>{title}</b> — {total}"
        if pages > 1:
            header += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
        return header

    def entry(request: requests_selectors.RequestLine) -> str:
        overdue = statuses is not None and request.overdue  # the overdue list marks none: all of it is
        return ("⏰ " if overdue else "") + render.line(request)

    listing = lists.page_of(
        read,
        page=page,
        empty=empty,
        heading=heading,
        entry=entry,
        label=lambda request: f"🔎 {request.number}",
    )
    return listing.text, lists.markup(listing, name, per_row=2)


def _menu_name(text: str | None, names) -> ListName:
    return next(name for name in names if text in texts_of(BUTTONS[name]))


@router.message(MenuButton(*LISTS))
async def request_list(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    text, markup = await call(list_page, person, _menu_name(message.text, LISTS), 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(PageCb.filter(F.name.in_(set(LISTS))), F.message)
async def request_list_page(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    text, markup = await call(list_page, person, callback_data.name, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)
