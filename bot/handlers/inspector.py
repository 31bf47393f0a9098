"""The inspector's screens: report a problem found on a round (building, apartment or not, category, description,
photos) as an inspection request, and the list of requests they filed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from django.utils.translation import get_language

from bot import albums, hints, lists, render
from bot.callbacks import ListName, PageCb, RequestAction, RequestCb
from bot.errors import explain
from bot.filters import ActiveRole, gate
from bot.i18n import _, __
from bot.menus import MenuButton, is_menu_text
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.statuses import Actor, Category, Source
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors

router = gate(Router(name=__name__), ActiveRole("inspector"))

BUILDINGS_PER_PAGE = 8
MAX_PHOTOS = 10


class InspectStep(StrEnum):
    """A step of the report a button answers."""

    BUILDING = "building"  # ``value``: its id
    BUILDINGS_PAGE = "bpage"  # ``value``: the page
    SKIP = "skip"  # no apartment
    CATEGORY = "category"  # ``value``: its key
    DONE = "done"  # the photos are sent (or skipped)


class InspectCb(CallbackData, prefix="insp"):
    action: InspectStep
    value: str = ""


class ReportForm(StatesGroup):
    building = State()
    apartment = State()
    category = State()
    description = State()
    photos = State()  # none yet: Skip (photos are welcome, not required)
    more_photos = State()  # one or more: Done


PHOTO_STEP = StateFilter(ReportForm.photos, ReportForm.more_photos)

hints.register(ReportForm.building, __("Choose the building with the buttons above. /cancel to stop."))
hints.register(ReportForm.apartment, __("Write the apartment number, or press Skip."))
hints.register(ReportForm.category, __("Choose the category with the buttons above."))
hints.register(ReportForm.description, __("Describe the problem in a few words."))
hints.register(ReportForm.photos, __("Send a photo of the problem, or press Skip."))
hints.register(ReportForm.more_photos, __("Send a photo of the problem, or press Done."))


# --- plain data from the database thread ------------------------------------------------------------------------


@dataclass(frozen=True)
class Buildings:
    """A page of buildings: (id, address) pairs."""

    rows: tuple[tuple[int, str], ...]
    page: int
    pages: int


def buildings_page(page: int) -> Buildings:
    """A page of every building, by id, with addresses in the inspector's language."""
    found = users_selectors.building_page(
        offset=max(page, 0) * BUILDINGS_PER_PAGE, limit=BUILDINGS_PER_PAGE, language=get_language()
    )
    pages = max(1, -(-found.total // BUILDINGS_PER_PAGE))
    kept = min(max(page, 0), pages - 1)
    if kept != max(page, 0):  # past the last page: show the last one
        found = users_selectors.building_page(
            offset=kept * BUILDINGS_PER_PAGE, limit=BUILDINGS_PER_PAGE, language=get_language()
        )
    return Buildings(tuple((b.id, b.name) for b in found.buildings), kept, pages)


def report_create(account_id: int, data: dict) -> str:
    """File the inspection request with its photos (one service call: a request without its photos is not left
    behind); return its number."""
    address = ""
    if data.get("apartment"):  # a number the place tree may not hold: the snapshot keeps it
        address = users_public.place_snapshot(building_id=data["building"], apartment_number=data["apartment"])
    request = requests_services.request_create(
        applicant_id=account_id,
        created_by=account_id,
        source=Source.INSPECTION,
        category=data["category"],
        description=data["description"],
        building_id=data["building"],
        address=address,
        files=[(media_id, "before") for media_id in data["photos"]],
    )
    return request.number


def filed_page(account_id: int, page: int) -> lists.ListPage:
    """A page of the requests the inspector filed, newest first."""

    def read(**window) -> requests_selectors.LinePage:
        return requests_selectors.request_lines(
            account_id=account_id, actor_kind=Actor.APPLICANT, filed_by_me=True, **window
        )

    return lists.page_of(read, page=page, title=_("My requests"), empty=_("You have not reported any problems yet."))


# --- the report wizard ------------------------------------------------------------------------------------------


def _nav(previous, following) -> list[InlineKeyboardButton]:
    nav = []
    if previous is not None:
        nav.append(InlineKeyboardButton(text="◀️", callback_data=previous.pack()))
    if following is not None:
        nav.append(InlineKeyboardButton(text="▶️", callback_data=following.pack()))
    return nav


def _buildings_markup(buildings: Buildings) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=address, callback_data=InspectCb(action=InspectStep.BUILDING, value=str(pk)).pack())]
        for pk, address in buildings.rows
    ]
    nav = _nav(
        InspectCb(action=InspectStep.BUILDINGS_PAGE, value=str(buildings.page - 1)) if buildings.page > 0 else None,
        InspectCb(action=InspectStep.BUILDINGS_PAGE, value=str(buildings.page + 1))
        if buildings.page < buildings.pages - 1
        else None,
    )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(MenuButton("report_problem"))
async def report_start(message: Message, state: FSMContext) -> None:
    buildings = await call(buildings_page, 0)
    if not buildings.rows:
        await message.answer(_("No buildings are set up yet. Please tell the manager."))
        return
    await state.clear()
    await state.set_state(ReportForm.building)
    await message.answer(_("🔎 Where is the problem? Choose the building:"), reply_markup=_buildings_markup(buildings))


@router.callback_query(ReportForm.building, InspectCb.filter(F.action == InspectStep.BUILDINGS_PAGE), F.message)
async def report_buildings_page(query: CallbackQuery, callback_data: InspectCb) -> None:
    await query.answer()
    buildings = await call(buildings_page, int(callback_data.value))
    await query.message.edit_reply_markup(reply_markup=_buildings_markup(buildings))


def _skip_markup() -> InlineKeyboardMarkup:
    skip = InspectCb(action=InspectStep.SKIP).pack()
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("⏭ Skip"), callback_data=skip)]])


@router.callback_query(ReportForm.building, InspectCb.filter(F.action == InspectStep.BUILDING), F.message)
async def report_building(query: CallbackQuery, callback_data: InspectCb, state: FSMContext) -> None:
    await query.answer()
    address = await call(
        users_selectors.building_address, building_id=int(callback_data.value), language=get_language()
    )
    if address is None:
        await query.message.answer(_("This building is no longer there. Choose another one."))
        return
    await state.update_data(building=int(callback_data.value), address=address)
    await state.set_state(ReportForm.apartment)
    await query.message.answer(
        _("🏢 {address}\nIf the problem is in an apartment, write its number; otherwise press Skip.").format(
            address=render.esc(address)
        ),
        reply_markup=_skip_markup(),
    )


async def _ask_category(message: Message, state: FSMContext) -> None:
    await state.set_state(ReportForm.category)
    buttons = [
        InlineKeyboardButton(
            text=str(category.label), callback_data=InspectCb(action=InspectStep.CATEGORY, value=category).pack()
        )
        for category in Category
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await message.answer(_("What kind of problem is it?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.message(ReportForm.apartment, F.text)
async def report_apartment(message: Message, state: FSMContext) -> None:
    number = message.text.strip()
    if is_menu_text(number) or not number or len(number) > 10 or number.startswith("/"):
        await message.answer(_("Write the apartment number (e.g. 12), or press Skip."), reply_markup=_skip_markup())
        return
    await state.update_data(apartment=number)
    await _ask_category(message, state)


@router.callback_query(ReportForm.apartment, InspectCb.filter(F.action == InspectStep.SKIP), F.message)
async def report_no_apartment(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(apartment="")
    await _ask_category(query.message, state)


@router.callback_query(ReportForm.category, InspectCb.filter(F.action == InspectStep.CATEGORY), F.message)
async def report_category(query: CallbackQuery, callback_data: InspectCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in Category.values:
        await query.message.answer(_("Choose the category with the buttons above."))
        return
    await state.update_data(category=callback_data.value)
    await state.set_state(ReportForm.description)
    await query.message.answer(_("Describe the problem in a few words."))


@router.message(ReportForm.description, F.text)
async def report_description(message: Message, state: FSMContext) -> None:
    text = message.text.strip()
    if is_menu_text(text) or len(text) < 3:
        await message.answer(_("Describe the problem in a few words."))
        return
    await state.update_data(description=text, photos=[])
    await state.set_state(ReportForm.photos)
    skip = InlineKeyboardButton(text=_("⏭ Skip"), callback_data=InspectCb(action=InspectStep.DONE).pack())
    await albums.ask_photos(message, state, _("Send photos of the problem (one or more), or press Skip."), skip=skip)


@router.message(PHOTO_STEP, F.photo | F.document)
async def report_photo(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    count = await albums.take_photo(
        message,
        bot,
        state,
        owner_id=person.account_id,
        key="photos",
        limit=MAX_PHOTOS,
    )
    if not count:
        return
    await state.set_state(ReportForm.more_photos)
    single = _("Photo {count} received. Send more or press Done.").format(count=count)
    await albums.counted(message, bot, state, count=count, done=InspectCb(action=InspectStep.DONE), single=single)


@router.callback_query(PHOTO_STEP, InspectCb.filter(F.action == InspectStep.DONE), F.message)
async def report_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before the call: a second tap on Done finds the dialog over (one request, not two)
    try:
        number = await call(report_create, person.account_id, data)
    except AppError as exc:
        await query.message.answer(explain(exc))
        return
    opened = RequestCb(action=RequestAction.OPEN, number=number).pack()
    await query.message.answer(
        _("✅ Thank you! Request {number} is filed; the dispatcher will take it from here.").format(number=number),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=_("Open"), callback_data=opened)]]
        ),
    )


# --- my requests ------------------------------------------------------------------------------------------------


@router.message(MenuButton("my_requests"))
async def my_requests(message: Message, person: Person) -> None:
    listing = await call(filed_page, person.account_id, 0)
    await message.answer(listing.text, reply_markup=lists.markup(listing, ListName.INSPECTED))


@router.callback_query(PageCb.filter(F.name == ListName.INSPECTED), F.message)
async def my_requests_page(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    listing = await call(filed_page, person.account_id, callback_data.page)
    await query.message.edit_text(listing.text, reply_markup=lists.markup(listing, ListName.INSPECTED))
