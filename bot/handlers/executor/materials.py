"""Materials: the executor lists what they need ("Pipe 20mm 2 m", one a line) and, while working, says whether the
request waits for them."""

from __future__ import annotations

import re
from decimal import Decimal

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import hints, render
from bot.errors import explain
from bot.handlers.cards import show_card
from bot.handlers.executor.common import ExecAction, ExecCb, own
from bot.i18n import _, __
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.requests import services as requests_services
from ukbot.requests.statuses import Actor, Status

router = Router(name=__name__)


class MaterialsForm(StatesGroup):
    items = State()
    wait = State()


hints.register(
    MaterialsForm.items,
    __("Write the materials, one per line: name, quantity and unit, e.g. “Pipe 20mm 2 m”. /cancel to stop."),
)
hints.register(MaterialsForm.wait, __("Press one of the buttons above: wait for the materials or keep working."))


def materials_submit(account_id: int, number: str, items: list[dict], wait: bool) -> str:
    """Ask for the materials; return what to say."""
    requests_services.materials_request(
        number=number, actor_kind=Actor.EXECUTOR, actor_id=account_id, items=items, wait=wait
    )
    listed = "\n".join(f"• {render.esc(i['item'])} — {i['quantity']} {render.esc(i['unit'])}" for i in items)
    text = _("📦 Materials requested for {number}:\n{items}").format(number=number, items=listed)
    if wait:
        text += "\n" + _("The request waits for them; press “Resume work” when they arrive.")
    return text


_LINE = re.compile(r"^(?P<item>.+?)\s+(?P<quantity>\d+(?:[.,]\d+)?)\s*(?P<unit>[^\d\s.,]\S*)?$")


def parse_materials(text: str) -> tuple[list[dict], list[str]]:
    """Read "name quantity unit" lines ("Pipe 20mm 2 m", "Tap 1" meaning 1 pcs); return the items and the lines
    that could not be read."""
    items, bad = [], []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        found = _LINE.match(line)
        if found is None:
            bad.append(line)
            continue
        quantity = Decimal(found["quantity"].replace(",", "."))
        items.append({"item": found["item"], "quantity": str(quantity), "unit": found["unit"] or _("pcs")})
    return items, bad


@router.callback_query(ExecCb.filter(F.action == ExecAction.MATERIALS), F.message)
async def materials_pressed(query: CallbackQuery, callback_data: ExecCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    status = await own(query, person, callback_data.number, requests_services.MATERIAL_STAGES)
    if status is None:
        return
    await state.set_state(MaterialsForm.items)
    await state.set_data({"number": callback_data.number, "status": status})
    await query.message.answer(
        _(
            "Write the materials for {number}, one per line: name, quantity and unit.\n"
            "For example:\nPipe 20mm 2 m\nTap 1 pcs"
        ).format(number=callback_data.number)
    )


@router.message(MaterialsForm.items, F.text)
async def materials_written(message: Message, state: FSMContext, person: Person) -> None:
    items, bad = parse_materials(message.text)
    if bad or not items:
        lines = "\n".join(f"• {render.esc(line)}" for line in bad)
        await message.answer(
            _(
                "I could not read these lines:\n{lines}\nWrite each as name, quantity and unit, e.g. “Pipe 20mm 2 m”."
            ).format(lines=lines or "—")
        )
        return
    data = await state.get_data()
    number = data["number"]
    if data["status"] != Status.IN_PROGRESS:  # only work in progress can wait
        await state.clear()
        await _materials_send(message, person, number, items, wait=False)
        return
    await state.set_state(MaterialsForm.wait)
    await state.update_data(items=items)
    rows = [
        [
            InlineKeyboardButton(
                text=_("⏸ Yes, wait for them"),
                callback_data=ExecCb(action=ExecAction.WAIT_FOR_MATERIALS, number=number).pack(),
            )
        ],
        [
            InlineKeyboardButton(
                text=_("▶️ No, keep working"), callback_data=ExecCb(action=ExecAction.KEEP_WORKING, number=number).pack()
            )
        ],
    ]
    await message.answer(
        _("Will you wait for the materials (the request pauses)?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _materials_send(message: Message, person: Person, number: str, items: list[dict], *, wait: bool) -> None:
    try:
        text = await call(materials_submit, person.account_id, number, items, wait)
    except AppError as exc:
        text = explain(exc)
    await message.answer(text)
    await show_card(message, person, number)


@router.callback_query(
    MaterialsForm.wait, ExecCb.filter(F.action.in_({ExecAction.WAIT_FOR_MATERIALS, ExecAction.KEEP_WORKING})), F.message
)
async def materials_wait_chosen(query: CallbackQuery, callback_data: ExecCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before the call: a second tap finds the dialog over
    await _materials_send(
        query.message, person, data["number"], data["items"], wait=callback_data.action == ExecAction.WAIT_FOR_MATERIALS
    )
