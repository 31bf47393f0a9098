"""Materials: the lines waiting for a decision or to be issued, those of one request, and the decisions."""

from __future__ import annotations

from typing import Literal

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from django.utils.translation import get_language

from bot import lists, render
from bot.callbacks import ListName, PageCb
from bot.handlers.manager.common import ActCb, Dialog, ManagerAction
from bot.i18n import _
from bot.keyboards import button, keyboard
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.requests import public as requests_public
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import MaterialEntry

router = Router(name=__name__)


class MaterialCb(CallbackData, prefix="mgrmat"):
    """A decision on a material line: the status it moves to."""

    material: int
    to: Literal["approved", "issued", "rejected"]


def _material_entries(materials: tuple[MaterialEntry, ...]) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    language = get_language() or "ru"
    entries, rows = [], []
    for m in materials:
        status = requests_public.label(field="material_status", value=m.status, language=language)
        entries.append(
            f"<b>#{m.material_id}</b> {render.esc(m.item)} — {m.quantity:f} {render.esc(m.unit)} · {status}\n"
            f"   {m.number}"
        )
        row, pk = [], m.material_id
        moves = requests_services.MATERIAL_MOVES.get(m.status, ())
        if "approved" in moves:
            row.append(button(_("✅ Approve #{id}").format(id=pk), MaterialCb(material=pk, to="approved")))
        if "issued" in moves:
            row.append(button(_("📤 Issue #{id}").format(id=pk), MaterialCb(material=pk, to="issued")))
        if "rejected" in moves:
            row.append(button(_("❌ Reject #{id}").format(id=pk), MaterialCb(material=pk, to="rejected")))
        rows.append(row)
    return entries, rows


def materials_page(page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Material lines waiting for a decision (to approve or reject) or to be issued, oldest first."""
    found = requests_selectors.materials_waiting_page(offset=max(page, 0) * lists.PER_PAGE, limit=lists.PER_PAGE)
    total = found.total
    if not total:
        return _("No materials are waiting for you."), None
    pages, kept = lists.bounds(total, page)
    if kept != max(page, 0):  # a page past the end (the list got shorter meanwhile): show the last one
        found = requests_selectors.materials_waiting_page(offset=kept * lists.PER_PAGE, limit=lists.PER_PAGE)
    page = kept
    entries, rows = _material_entries(found.entries)
    header = "<b>" + _("📦 Materials waiting") + f"</b> — {total}"
    if pages > 1:
        header += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
    return "\n\n".join([header, *entries]), keyboard(*rows, lists.nav(ListName.MGR_MATERIALS, page, pages))


def request_materials(number: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The material lines of one request with the decisions still open on them."""
    materials = requests_selectors.request_materials(number=number)
    if not materials:
        return _("Request {number} has no materials.").format(number=number), None
    entries, rows = _material_entries(materials)
    header = "<b>" + _("📦 Materials of request {number}").format(number=number) + "</b>"
    return "\n\n".join([header, *entries]), keyboard(*rows)


@router.message(MenuButton("mgr_materials"))
async def materials(message: Message, state: FSMContext) -> None:
    await state.clear()
    text, markup = await call(materials_page, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(PageCb.filter(F.name == ListName.MGR_MATERIALS), F.message)
async def materials_more(query: CallbackQuery, callback_data: PageCb) -> None:
    await query.answer()
    text, markup = await call(materials_page, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


@router.callback_query(ActCb.filter(F.action == ManagerAction.MATERIALS), F.message)
async def materials_of_request(query: CallbackQuery, callback_data: ActCb) -> None:
    await query.answer()
    text, markup = await call(request_materials, callback_data.number)
    await query.message.answer(text, reply_markup=markup)


def decide(person: Person, material_id: int, to_status: str, reason: str = "") -> str:
    requests_services.material_decide(
        material_id=material_id, to_status=to_status, actor_id=person.account_id, reason=reason
    )
    material = requests_public.material_brief(material_id=material_id)
    status = requests_public.label(field="material_status", value=material.status, language=get_language() or "ru")
    return _("#{id} {item}: {status}.").format(id=material_id, item=render.esc(material.item), status=status)


def _material_item(material_id: int) -> str | None:
    brief = requests_public.material_brief(material_id=material_id)
    return brief.item if brief else None


@router.callback_query(MaterialCb.filter(), F.message)
async def material_chosen(query: CallbackQuery, callback_data: MaterialCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if callback_data.to == "rejected":
        item = await call(_material_item, callback_data.material)
        if item is None:
            await query.message.answer(_("This material is no longer there."))
            return
        await state.set_state(Dialog.material_reason)
        await state.set_data({"id": callback_data.material})
        await query.message.answer(
            _("Why is #{id} {item} rejected? The executor will read it.").format(
                id=callback_data.material, item=render.esc(item)
            )
        )
        return
    await query.message.answer(await call(decide, person, callback_data.material, callback_data.to))
