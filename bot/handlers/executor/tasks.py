"""My tasks, the pool of free requests (with Claim, while on shift) and the archive: a page of each."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import lists
from bot.callbacks import ListName, PageCb
from bot.handlers.executor.common import ExecAction, ExecCb
from bot.i18n import _, __
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.requests import selectors as requests_selectors
from ukbot.requests.statuses import IN_HANDS, Actor, Status
from ukbot.shifts import public as shifts_public

router = Router(name=__name__)


ARCHIVE = (Status.COMPLETED, Status.CONFIRMED, Status.ACCEPTED)


def _lines(account_id: int, statuses):
    def read(**window) -> requests_selectors.LinePage:
        return requests_selectors.request_lines(
            account_id=account_id, actor_kind=Actor.EXECUTOR, statuses=statuses, **window
        )

    return read


def tasks_page(account_id: int, page: int) -> lists.ListPage:
    """The executor's requests in hand (assigned to them and not yet done), a page of them."""
    return lists.page_of(
        _lines(account_id, IN_HANDS),
        page=page,
        title=_("My tasks"),
        empty=_("You have no tasks now. Free requests of your trade are in “🆓 Free requests” while on shift."),
    )


def archive_page(account_id: int, page: int) -> lists.ListPage:
    """The executor's finished requests (completed, confirmed, accepted), a page of them."""
    return lists.page_of(_lines(account_id, ARCHIVE), page=page, title=_("Archive"), empty=_("Your archive is empty."))


def pool_page(account_id: int, page: int) -> lists.ListPage | None:
    """The free requests the executor may claim now, a page of them; None when they are off shift."""
    if not shifts_public.active_specializations(executor_id=account_id):
        return None

    def read(**window) -> requests_selectors.LinePage:
        return requests_selectors.pool_lines(executor_id=account_id, **window)

    return lists.page_of(
        read,
        page=page,
        title=_("Free requests"),
        empty=_("No free requests of your trade right now. Check again later."),
    )


def _claim(number: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(text=_("✋ Claim"), callback_data=ExecCb(action=ExecAction.CLAIM, number=number).pack())
    ]


OFF_SHIFT = __("You are off shift. Start your shift in “⏱ Shift” to see free requests.")


async def _page(person: Person, name: ListName, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    if name == ListName.POOL:
        listing = await call(pool_page, person.account_id, page)
        if listing is None:
            return str(OFF_SHIFT), None
        return listing.text, lists.markup(listing, name, extra=_claim)
    reader = tasks_page if name == ListName.TASKS else archive_page
    listing = await call(reader, person.account_id, page)
    return listing.text, lists.markup(listing, name)


@router.message(MenuButton("my_tasks"))
async def my_tasks(message: Message, person: Person) -> None:
    text, markup = await _page(person, ListName.TASKS, 0)
    await message.answer(text, reply_markup=markup)


@router.message(MenuButton("pool"))
async def pool(message: Message, person: Person) -> None:
    text, markup = await _page(person, ListName.POOL, 0)
    await message.answer(text, reply_markup=markup)


@router.message(MenuButton("archive"))
async def archive(message: Message, person: Person) -> None:
    text, markup = await _page(person, ListName.ARCHIVE, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(PageCb.filter(F.name.in_({ListName.TASKS, ListName.POOL, ListName.ARCHIVE})), F.message)
async def page_turned(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    text, markup = await _page(person, callback_data.name, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)
