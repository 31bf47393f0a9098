"""The wizard that asks for a new apartment link: yard → building → entrance → apartment → relation → optional
identity document. Registration (:mod:`bot.handlers.start`) runs it through :func:`ask_place` once the profile
exists; "My apartments" (:mod:`.mine`) from its Add button."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from django.utils.translation import get_language

from bot import hints
from bot.errors import explain
from bot.files import store_file
from bot.i18n import _, __
from bot.menus import main_menu
from bot.person import Person, person_of
from bot.render import esc
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors
from ukbot.users import services as users_services

router = Router(name=__name__)


# How many choices one screen shows: long lists (a big building's apartments) are split into pages.
PAGE_SIZES = {"yard": 8, "building": 8, "entrance": 12, "flat": 30}
ROW_WIDTHS = {"yard": 1, "building": 1, "entrance": 4, "flat": 5}
RELATIONS = ("owner", "tenant", "family")


class AddApartment(StatesGroup):
    yard = State()
    building = State()
    entrance = State()
    flat = State()
    relation = State()
    document = State()


LEVEL_STATES = {
    "yard": AddApartment.yard,
    "building": AddApartment.building,
    "entrance": AddApartment.entrance,
    "flat": AddApartment.flat,
}

hints.register(AddApartment.yard, __("Choose your residential complex with the buttons above, or /cancel."))
hints.register(AddApartment.building, __("Choose your building with the buttons above, or /cancel."))
hints.register(AddApartment.entrance, __("Choose your entrance with the buttons above, or /cancel."))
hints.register(AddApartment.flat, __("Choose your apartment with the buttons above, or /cancel."))
hints.register(AddApartment.relation, __("Choose who you are in this apartment with the buttons above."))
hints.register(AddApartment.document, __("Send a photo or a PDF of the document, or press “Skip”."))


Level = Literal["yard", "building", "entrance", "flat"]


class PlaceCb(CallbackData, prefix="aplace"):
    """A choice in the wizard: the row ``id`` of ``level``."""

    level: Level
    id: int


class PlacePageCb(CallbackData, prefix="apage"):
    """Another page of the choices of ``level`` under ``parent`` (0 for yards)."""

    level: Level
    parent: int
    page: int


class RelationCb(CallbackData, prefix="arel"):
    relation: Literal["owner", "tenant", "family"]


class AptAction(StrEnum):
    """A button of "My apartments" (``link``: the link it acts on), or the wizard's Skip of the document."""

    LIST = "list"
    ADD = "add"
    SKIP = "skip"
    PRIMARY = "primary"
    REMOVE = "remove"  # asks first
    REMOVE_YES = "remove_yes"


class AptCb(CallbackData, prefix="apt"):
    action: AptAction
    link: int = 0


@dataclass(frozen=True)
class Option:
    id: int
    label: str


def place_options(level: str, parent: int) -> list[Option]:
    """The choices of one level of the place tree under ``parent`` (buildings by their address in the person's
    language)."""
    choices = users_selectors.place_choices(
        level="apartment" if level == "flat" else level, parent=parent, language=get_language()
    )
    if level == "entrance":
        return [Option(choice.id, _("Entrance {number}").format(number=choice.name)) for choice in choices]
    return [Option(choice.id, choice.name) for choice in choices]


def apartment_title(apartment_id: int) -> str | None:
    """ "Lane 1, entrance 2, apartment 12" (escaped), or None when there is no such apartment."""
    place = users_public.place_of(apartment_id=apartment_id, language=get_language())
    if place is None:
        return None
    return _("{address}, entrance {entrance}, apartment {number}").format(
        address=esc(place.building_address), entrance=place.entrance_number, number=esc(place.apartment_number)
    )


def relation_label(relation: str) -> str:
    """How a relation (owner, tenant, family) reads in the active language."""
    return users_public.label(field="relation", value=relation, language=get_language() or "ru")


BROWSING = {state.state for state in (*LEVEL_STATES.values(), AddApartment.relation)}
LEVEL_QUESTIONS = {
    "yard": __("Choose your residential complex:"),
    "building": __("Choose your building:"),
    "entrance": __("Choose your entrance:"),
    "flat": __("Choose your apartment:"),
}


def _back_button(back: tuple[str, int] | None) -> list[InlineKeyboardButton]:
    if back is None:
        return []
    data = PlacePageCb(level=back[0], parent=back[1], page=0).pack()
    return [InlineKeyboardButton(text=_("⬅️ Back"), callback_data=data)]


def _back_from(level: str, data: dict) -> tuple[str, int] | None:
    """Where "Back" leads from ``level``: the level above, with its parent (a building's lone entrance skipped)."""
    if level == "building":
        return "yard", 0
    if level == "entrance":
        return "building", data.get("yard_id", 0)
    if level == "flat":
        if data.get("single_entrance"):
            return "building", data.get("yard_id", 0)
        return "entrance", data.get("building_id", 0)
    if level == "relation":
        return "flat", data.get("entrance_id", 0)
    return None


def _keyboard(
    level: str, parent: int, options: list[Option], page: int, back: tuple[str, int] | None = None
) -> InlineKeyboardMarkup:
    size, width = PAGE_SIZES[level], ROW_WIDTHS[level]
    pages = max(1, -(-len(options) // size))
    page = min(max(page, 0), pages - 1)
    shown = options[page * size : (page + 1) * size]
    buttons = [
        InlineKeyboardButton(text=option.label, callback_data=PlaceCb(level=level, id=option.id).pack())
        for option in shown
    ]
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(
                InlineKeyboardButton(
                    text="◀️", callback_data=PlacePageCb(level=level, parent=parent, page=page - 1).pack()
                )
            )
        nav.append(
            InlineKeyboardButton(
                text=f"{page + 1}/{pages}", callback_data=PlacePageCb(level=level, parent=parent, page=page).pack()
            )
        )
        if page < pages - 1:
            nav.append(
                InlineKeyboardButton(
                    text="▶️", callback_data=PlacePageCb(level=level, parent=parent, page=page + 1).pack()
                )
            )
        rows.append(nav)
    if back is not None:
        rows.append(_back_button(back))
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def ask_place(message: Message, state: FSMContext, *, registration: bool = False) -> None:
    """Start the wizard in the chat of ``message``: the list of yards (a new message)."""
    options = await call(place_options, "yard", 0)
    if not options:
        await state.clear()
        await message.answer(_("No buildings are listed yet. Please contact the management company."))
        return
    await state.set_state(AddApartment.yard)
    await state.update_data(registration=registration)
    await message.answer(str(LEVEL_QUESTIONS["yard"]), reply_markup=_keyboard("yard", 0, options, 0))


async def _show_level(query: CallbackQuery, state: FSMContext, level: str, parent: int, page: int = 0) -> None:
    options = await call(place_options, level, parent)
    await state.set_state(LEVEL_STATES[level])
    back = _back_from(level, await state.get_data())
    markup = _keyboard(level, parent, options, page, back)
    await query.message.edit_text(str(LEVEL_QUESTIONS[level]), reply_markup=markup)


@router.callback_query(PlacePageCb.filter(), F.message)
async def place_page(query: CallbackQuery, callback_data: PlacePageCb, state: FSMContext) -> None:
    """Another page of a level, or "Back" to a level above (from any step before the document)."""
    if callback_data.level not in LEVEL_STATES or await state.get_state() not in BROWSING:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer()
    await _show_level(query, state, callback_data.level, callback_data.parent, callback_data.page)


@router.callback_query(AddApartment.yard, PlaceCb.filter(F.level == "yard"), F.message)
async def yard_chosen(query: CallbackQuery, callback_data: PlaceCb, state: FSMContext) -> None:
    await query.answer()
    if not await call(place_options, "building", callback_data.id):
        await query.message.answer(_("This complex has no buildings listed yet. Please choose another one."))
        return
    await state.update_data(yard_id=callback_data.id)
    await _show_level(query, state, "building", callback_data.id)


@router.callback_query(AddApartment.building, PlaceCb.filter(F.level == "building"), F.message)
async def building_chosen(query: CallbackQuery, callback_data: PlaceCb, state: FSMContext) -> None:
    await query.answer()
    entrances = await call(place_options, "entrance", callback_data.id)
    if not entrances:
        await query.message.answer(_("This building has no apartments listed yet. Please choose another one."))
        return
    await state.update_data(building_id=callback_data.id, single_entrance=len(entrances) == 1)
    if len(entrances) == 1:  # nothing to choose: straight to the apartments
        await state.update_data(entrance_id=entrances[0].id)
        await _show_level(query, state, "flat", entrances[0].id)
        return
    await _show_level(query, state, "entrance", callback_data.id)


@router.callback_query(AddApartment.entrance, PlaceCb.filter(F.level == "entrance"), F.message)
async def entrance_chosen(query: CallbackQuery, callback_data: PlaceCb, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(entrance_id=callback_data.id)
    await _show_level(query, state, "flat", callback_data.id)


@router.callback_query(AddApartment.flat, PlaceCb.filter(F.level == "flat"), F.message)
async def flat_chosen(query: CallbackQuery, callback_data: PlaceCb, state: FSMContext) -> None:
    await query.answer()
    title = await call(apartment_title, callback_data.id)
    if title is None:
        await query.message.answer(_("This apartment is no longer listed. Please choose another one."))
        return
    await state.update_data(apartment_id=callback_data.id)
    await state.set_state(AddApartment.relation)
    buttons = [
        [
            InlineKeyboardButton(
                text=relation_label(relation).capitalize(), callback_data=RelationCb(relation=relation).pack()
            )
        ]
        for relation in RELATIONS
    ]
    buttons.append(_back_button(_back_from("relation", await state.get_data())))
    await query.message.edit_text(
        _("🏠 {title}\n\nWho are you in this apartment?").format(title=title),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


@router.callback_query(AddApartment.relation, RelationCb.filter(), F.message)
async def relation_chosen(query: CallbackQuery, callback_data: RelationCb, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(relation=callback_data.relation)
    await state.set_state(AddApartment.document)
    skip = InlineKeyboardButton(text=_("Skip"), callback_data=AptCb(action=AptAction.SKIP).pack())
    await query.message.answer(
        _(
            "To be approved faster, send a photo or a PDF of a document showing you live there "
            "(ownership certificate, lease). Only the manager sees it.\n\nOr press “Skip”."
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[skip]]),
    )


@router.message(AddApartment.document, F.photo | F.document)
async def document_sent(message: Message, state: FSMContext, bot: Bot, person: Person) -> None:
    media_id = await store_file(bot, message, owner_id=person.account_id)  # FileRefused: the step stays
    await _finish(message, state, person, media_id)
    if message.media_group_id:
        # The first file of an album is the document; the rest of the album arrives after the wizard is over and
        # is not answered (bot.handlers.fallback reads this), and the person is told once that one file is kept.
        await state.update_data(finished_album=message.media_group_id)
        await message.answer(_("Only the first file is kept: one document is enough."))


@router.callback_query(AddApartment.document, AptCb.filter(F.action == AptAction.SKIP), F.message)
async def document_skipped(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _finish(query.message, state, person, None)


def _link_request(account_id: int, apartment_id: int, relation: str, media_id: str | None) -> str | None:
    users_services.apartment_link_request(
        account_id=account_id, apartment_id=apartment_id, relation=relation, document_media_id=media_id
    )
    return apartment_title(apartment_id)


async def _finish(message: Message, state: FSMContext, person: Person, media_id: str | None) -> None:
    data = await state.get_data()
    await state.clear()  # first: a second tap on Skip finds the wizard over
    try:
        title = await call(_link_request, person.account_id, data["apartment_id"], data["relation"], media_id)
    except AppError as exc:
        await message.answer(explain(exc), reply_markup=main_menu(person))
        return
    person = await call(person_of, person.telegram_id) or person
    await message.answer(
        _(
            "✅ Thank you! Your request for {title} is waiting for the manager's approval. "
            "I will let you know the decision here."
        ).format(title=title),
        reply_markup=main_menu(person),
    )
