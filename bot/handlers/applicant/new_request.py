"""New request: the answers to the wizard's questions (:mod:`.steps`), Edit from the summary, and Confirm, which
files the request and its photos in one service call, so a refusal leaves no half request.

Confirm clears the dialog state BEFORE calling the service, so a second tap (handled after the first, see
:class:`bot.middlewares.PersonLock`) finds the dialog over and files nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import RequestAction, RequestCb
from bot.errors import explain
from bot.handlers.applicant.common import FILE, TEXT, drop_buttons, take_file
from bot.handlers.applicant.steps import (
    NewCb,
    NewStep,
    ResidentRequest,
    ask_address,
    ask_category,
    ask_description,
    ask_photos,
    ask_urgency,
    ask_visit,
    next_step,
    photo_counted,
    saved_addresses,
    show_summary,
    visit_labels,
    visit_window,
)
from bot.i18n import _, __
from bot.keyboards import button, keyboard
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.requests import services as requests_services
from ukbot.requests.statuses import Category, Source, Urgency

router = Router(name=__name__)

MAX_DESCRIPTION = requests_services.MAX_DESCRIPTION
MAX_ADDRESS = 300  # what the request keeps of a typed address


@router.message(MenuButton("new_request"))
async def new_request(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(ResidentRequest.category)
    await state.update_data(files=[])
    await ask_category(message)


@router.callback_query(NewCb.filter(F.step == NewStep.CATEGORY), ResidentRequest.category, F.message)
async def category_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value not in Category.values:
        return
    await state.update_data(category=callback_data.value)
    await drop_buttons(query)
    await next_step(query.message, state, person, ResidentRequest.urgency)


@router.callback_query(NewCb.filter(F.step == NewStep.URGENCY), ResidentRequest.urgency, F.message)
async def urgency_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value not in Urgency.values:
        return
    await state.update_data(urgency=callback_data.value)
    await drop_buttons(query)
    await next_step(query.message, state, person, ResidentRequest.address)


@router.callback_query(NewCb.filter(F.step == NewStep.ADDRESS), ResidentRequest.address, F.message)
async def address_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value == "other":
        await state.set_state(ResidentRequest.address_text)
        await query.message.answer(_("Type the address (street, building, apartment or place)."))
        return
    saved = dict(await call(saved_addresses, person.account_id))
    apartment_id = int(callback_data.value) if callback_data.value.isdigit() else None
    if apartment_id not in saved:  # a button of an apartment the person is no longer linked to
        await query.message.answer(_("This address is no longer yours. Choose another one."))
        return
    await state.update_data(apartment_id=apartment_id, address="", address_label=saved[apartment_id])
    await drop_buttons(query)
    await next_step(query.message, state, person, ResidentRequest.description)


@router.message(ResidentRequest.address_text, TEXT)
async def address_typed(message: Message, state: FSMContext, person: Person) -> None:
    address = message.text.strip()
    if not address:
        await message.answer(_("Type the address as text."))
        return
    if len(address) > MAX_ADDRESS:
        await message.answer(
            _("That address is too long. Please keep it under {limit} characters.").format(limit=MAX_ADDRESS)
        )
        return
    await state.update_data(apartment_id=None, address=address, address_label=address)
    await next_step(message, state, person, ResidentRequest.description)


@router.message(ResidentRequest.description, F.photo, F.caption)
async def description_with_photo(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    """A photo with a caption: the caption is the description and the photo the first one (of an album, the one
    with the caption; the others come at the photo step)."""
    if not await _take_description(message, state, message.caption):
        return
    await state.set_state(ResidentRequest.photos)
    await state.update_data(keys_at=None, album=None)  # no question with buttons was asked at this step
    count = await take_file(message, bot, state, person)
    if count:
        await photo_counted(message, bot, state, count)
    else:
        await ask_photos(message, state)


@router.message(ResidentRequest.description, TEXT)
async def description_typed(message: Message, state: FSMContext, person: Person) -> None:
    if not await _take_description(message, state, message.text):
        return
    if (await state.get_data()).get("editing"):
        await show_summary(message, state)
        return
    await ask_photos(message, state)


async def _take_description(message: Message, state: FSMContext, text: str) -> bool:
    """Keep the description if it is fit (else say why); return whether it was kept."""
    description = text.strip()
    if not description:
        await message.answer(_("The description is empty. Please describe the problem in a few words."))
        return False
    if len(description) > MAX_DESCRIPTION:
        await message.answer(
            _("The description is too long ({count} characters). Please keep it under {limit}.").format(
                count=len(description), limit=MAX_DESCRIPTION
            )
        )
        return False
    await state.update_data(description=description)
    return True


PHOTO_STEP = StateFilter(ResidentRequest.photos, ResidentRequest.more_photos)


@router.message(PHOTO_STEP, FILE)
async def photo_sent(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    count = await take_file(message, bot, state, person)
    if count:
        await photo_counted(message, bot, state, count)


@router.callback_query(NewCb.filter(F.step == NewStep.PHOTOS), PHOTO_STEP, F.message)
async def photos_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await drop_buttons(query)
    await next_step(query.message, state, person, ResidentRequest.visit)


@router.callback_query(NewCb.filter(F.step == NewStep.VISIT), ResidentRequest.visit, F.message)
async def visit_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in visit_labels():
        return
    start, end = visit_window(callback_data.value)
    await state.update_data(
        visit=callback_data.value,
        visit_from=start.isoformat() if start else None,
        visit_to=end.isoformat() if end else None,
    )
    await drop_buttons(query)
    await show_summary(query.message, state)


EDITABLE = {
    "category": (__("Category"), ResidentRequest.category),
    "urgency": (__("Urgency"), ResidentRequest.urgency),
    "address": (__("Address"), ResidentRequest.address),
    "description": (__("Description"), ResidentRequest.description),
    "photos": (__("Photos"), ResidentRequest.photos),
    "visit": (__("Visit time"), ResidentRequest.visit),
}


@router.callback_query(NewCb.filter(F.step == NewStep.EDIT), ResidentRequest.summary, F.message)
async def edit_chosen(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await drop_buttons(query)
    await state.set_state(ResidentRequest.edit)
    rows = [[button(str(text), NewCb(step=NewStep.FIELD, value=name))] for name, (text, _s) in EDITABLE.items()]
    rows.append([button(_("⬅️ Back to the summary"), NewCb(step=NewStep.FIELD, value="back"))])
    await query.message.answer(_("What would you like to change?"), reply_markup=keyboard(*rows))


@router.callback_query(NewCb.filter(F.step == NewStep.FIELD), ResidentRequest.edit, F.message)
async def field_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await drop_buttons(query)
    field = callback_data.value
    if field not in EDITABLE:
        await show_summary(query.message, state)
        return
    await state.update_data(editing=True)
    message = query.message
    if field == "address":
        await ask_address(message, state, person)
        return
    if field == "photos":
        await ask_photos(message, state, again=True)
        return
    await state.set_state(EDITABLE[field][1])
    asks = {"category": ask_category, "urgency": ask_urgency, "description": ask_description, "visit": ask_visit}
    await asks[field](message)


def request_file(account_id: int, data: dict) -> tuple[str, str | None]:
    """File the request with its photos (one service call: if a photo cannot be attached, no request is left);
    return its number and the number of the open request it duplicates, if any."""
    visit_from = datetime.fromisoformat(data["visit_from"]) if data.get("visit_from") else None
    visit_to = datetime.fromisoformat(data["visit_to"]) if data.get("visit_to") else None
    request = requests_services.request_create(
        applicant_id=account_id,
        category=data["category"],
        urgency=data["urgency"],
        description=data["description"],
        source=Source.BOT,
        apartment_id=data.get("apartment_id"),
        address=data.get("address") or "",
        visit_from=visit_from,
        visit_to=visit_to,
        files=[(media_id, kind) for media_id, kind in data.get("files", [])],
    )
    return request.number, request.duplicate_of_id


@router.callback_query(NewCb.filter(F.step == NewStep.CONFIRM), ResidentRequest.summary, F.message)
async def confirmed(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before the service: a second tap finds the dialog over
    await drop_buttons(query)
    try:
        number, duplicate_of = await call(request_file, person.account_id, data)
    except AppError as exc:
        # keep what the person wrote: they can fix it with Edit
        await state.set_state(ResidentRequest.summary)
        await state.set_data(data)
        if any(detail.field == "media_ids" for detail in exc.details):
            # a file taken meanwhile (attached elsewhere, found infected): the ids mean nothing to the person
            text = _("One of your photos can no longer be used. Press Edit, then Photos, to send them again.")
        else:
            text = explain(exc)
        await query.message.answer(text)
        await show_summary(query.message, state)
        return
    text = _("✅ Your request <b>{number}</b> is registered. We will tell you when a specialist takes it.").format(
        number=number
    )
    if duplicate_of:
        text += "\n\n" + _(
            "⚠️ A similar request from your apartment is already open: <b>{number}</b>. We have linked them."
        ).format(number=duplicate_of)
    markup = keyboard([button(_("Open"), RequestCb(action=RequestAction.OPEN, number=number))])
    await query.message.answer(text, reply_markup=markup)
