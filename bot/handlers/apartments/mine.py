""" "My apartments": a resident's links with their status, the primary one, and removal."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from django.utils.translation import get_language

from bot.handlers.apartments.wizard import AptAction, AptCb, ask_place, relation_label
from bot.i18n import _, __
from bot.menus import MenuButton
from bot.person import Person
from bot.render import esc
from bot.sync import call
from ukbot.core.errors import AppError, NotFoundError
from ukbot.users import selectors as users_selectors
from ukbot.users import services as users_services

router = Router(name=__name__)


@dataclass(frozen=True)
class LinkRow:
    link_id: int
    title: str
    relation: str
    status: str
    reason: str
    primary: bool


def links_of(account_id: int) -> list[LinkRow]:
    """The person's apartment links (every status), oldest first, with addresses in their language."""
    return [
        LinkRow(
            link_id=link.link_id,
            title=_("{address}, apartment {number}").format(
                address=esc(link.building_address), number=esc(link.apartment_number)
            ),
            relation=relation_label(link.relation),
            status=link.status,
            reason=link.reason,
            primary=link.primary,
        )
        for link in users_selectors.apartment_links_of(account_id=account_id, language=get_language())
    ]


STATUS_LINES = {
    "pending": __("⏳ waiting for approval"),
    "approved": __("✅ approved"),
}


def _list_view(rows: list[LinkRow]) -> tuple[str, InlineKeyboardMarkup]:
    add = [InlineKeyboardButton(text=_("➕ Add an apartment"), callback_data=AptCb(action=AptAction.ADD).pack())]
    if not rows:
        return _("You have no apartments yet."), InlineKeyboardMarkup(inline_keyboard=[add])
    lines = ["<b>" + _("My apartments") + "</b>"]
    buttons = []
    for index, row in enumerate(rows, start=1):
        if row.status == "rejected":
            status = _("❌ rejected: {reason}").format(reason=esc(row.reason))
        else:
            status = str(STATUS_LINES.get(row.status, row.status))
        primary = " · " + _("⭐ primary") if row.primary else ""
        lines.append(f"\n{index}. {row.title} — {row.relation}\n   {status}{primary}")
        actions = []
        if not row.primary and row.status != "rejected":
            data = AptCb(action=AptAction.PRIMARY, link=row.link_id).pack()
            actions.append(InlineKeyboardButton(text=_("⭐ Make {n} primary").format(n=index), callback_data=data))
        data = AptCb(action=AptAction.REMOVE, link=row.link_id).pack()
        actions.append(InlineKeyboardButton(text=_("🗑 Remove {n}").format(n=index), callback_data=data))
        buttons.append(actions)
    buttons.append(add)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


@router.message(MenuButton("my_apartments"))
async def my_apartments(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    text, markup = _list_view(await call(links_of, person.account_id))
    await message.answer(text, reply_markup=markup)


async def _refresh(query: CallbackQuery, person: Person, note: str | None = None) -> None:
    text, markup = _list_view(await call(links_of, person.account_id))
    if note:
        text = f"{note}\n\n{text}"
    await query.message.edit_text(text, reply_markup=markup)


@router.callback_query(AptCb.filter(F.action == AptAction.ADD), F.message)
async def add_apartment(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await ask_place(query.message, state)


@router.callback_query(AptCb.filter(F.action == AptAction.PRIMARY), F.message)
async def make_primary(query: CallbackQuery, callback_data: AptCb, person: Person) -> None:
    try:
        await call(users_services.apartment_primary_set, account_id=person.account_id, link_id=callback_data.link)
    except AppError as exc:
        await query.answer(str(exc.message), show_alert=True)
        return
    await query.answer(_("Done."))
    await _refresh(query, person)


@router.callback_query(AptCb.filter(F.action == AptAction.REMOVE), F.message)
async def ask_remove(query: CallbackQuery, callback_data: AptCb, person: Person) -> None:
    await query.answer()
    rows = {row.link_id: row for row in await call(links_of, person.account_id)}
    row = rows.get(callback_data.link)
    if row is None:
        await _refresh(query, person, _("This apartment is no longer in your list."))
        return
    yes = AptCb(action=AptAction.REMOVE_YES, link=row.link_id).pack()
    no = AptCb(action=AptAction.LIST).pack()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("Yes, remove"), callback_data=yes),
                InlineKeyboardButton(text=_("No, keep it"), callback_data=no),
            ]
        ]
    )
    await query.message.edit_text(
        _("Remove {title} from your apartments?").format(title=row.title), reply_markup=markup
    )


@router.callback_query(AptCb.filter(F.action == AptAction.REMOVE_YES), F.message)
async def remove(query: CallbackQuery, callback_data: AptCb, person: Person) -> None:
    await query.answer()
    try:
        await call(users_services.apartment_link_remove, account_id=person.account_id, link_id=callback_data.link)
    except NotFoundError:
        await _refresh(query, person, _("This apartment is no longer in your list."))
        return
    await _refresh(query, person, _("Removed."))


@router.callback_query(AptCb.filter(F.action == AptAction.LIST), F.message)
async def back_to_list(query: CallbackQuery, person: Person) -> None:
    await query.answer()
    await _refresh(query, person)
