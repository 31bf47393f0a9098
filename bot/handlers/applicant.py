"""The applicant's (resident's) screens: the New request wizard, My requests, and what a resident does on a card.

New request: category → urgency → address → description → photos → visit time → summary (Edit / Confirm). The
request and its photos are filed in one service call, so a refusal leaves no half request. My requests: a
paginated list; the card (:mod:`bot.handlers.cards`) gets the applicant's buttons from :func:`card_actions`:
comment, add photos, cancel, answer a manager's question, accept with a rating, return, rate later.

Every dialog step clears or advances the dialog state BEFORE calling a service, so a second tap on Confirm (handled
after the first, see :class:`bot.middlewares.PersonLock`) finds the dialog over and makes nothing twice.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from bot import hints, lists, render
from bot.callbacks import PageCb, RequestCb
from bot.errors import explain
from bot.files import FileRefused, store_file
from bot.filters import ActiveRole
from bot.handlers.cards import register_actions
from bot.i18n import _, __, n_
from bot.keyboards import button, keyboard
from bot.menus import MenuButton, is_menu_text
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError, ValidationFailedError
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import Actor, Category, Source, Status, Urgency
from ukbot.users import public as users_public

router = Router(name=__name__)

MAX_DESCRIPTION = requests_services.MAX_DESCRIPTION
MAX_FILES = requests_services.MAX_ATTACHMENTS
MAX_ADDRESS = 300  # what the request keeps of a typed address
MAX_FEEDBACK = 2000
# Text typed in a dialog step: not a command (commands are answered elsewhere or get the step's hint) and not a
# menu button (a menu button leaves the dialog for that screen; its handler may come later than the step's).
TEXT = F.text & ~F.text.startswith("/") & ~F.text.func(is_menu_text)
FILE = F.photo | F.document
# people who act on requests as applicants (inspectors file requests as residents do; see Person.actor_kind)
APPLICANTS = ("applicant", "inspector")


# State names are "<class name>:<state>" across every module of the bot: the names here are the resident's own.
class ResidentRequest(StatesGroup):
    category = State()
    urgency = State()
    address = State()
    address_text = State()
    description = State()
    photos = State()
    visit = State()
    summary = State()
    edit = State()


class ResidentCard(StatesGroup):
    comment = State()
    photos = State()
    answer = State()
    stars = State()
    feedback = State()
    return_reason = State()
    return_photos = State()
    cancel = State()


class NewCb(CallbackData, prefix="anew"):
    """A button of the New request wizard: ``step`` (cat, urg, addr, photos, visit, confirm, edit, field)."""

    step: str
    value: str = ""


class ActCb(CallbackData, prefix="aact"):
    """A button inside a card dialog: stars, skip, done, yes, no."""

    action: str
    number: str
    value: str = ""


for _state, _hint in (
    (ResidentRequest.category, __("Choose a category with the buttons above, or /cancel.")),
    (ResidentRequest.urgency, __("Choose how urgent it is with the buttons above.")),
    (ResidentRequest.address, __("Choose the address with the buttons above.")),
    (ResidentRequest.address_text, __("Type the address as text.")),
    (ResidentRequest.description, __("Describe the problem in words. You can send photos at the next step.")),
    (ResidentRequest.photos, __("Send a photo, or press Done.")),
    (ResidentRequest.visit, __("Choose a convenient time with the buttons above.")),
    (ResidentRequest.summary, __("Press Confirm to send the request, or Edit to change it.")),
    (ResidentRequest.edit, __("Choose what to change with the buttons above.")),
    (ResidentCard.comment, __("Type your comment as text, or /cancel.")),
    (ResidentCard.photos, __("Send a photo, or press Done.")),
    (ResidentCard.answer, __("Type your answer as text, or /cancel.")),
    (ResidentCard.stars, __("Rate the work with the stars above.")),
    (ResidentCard.feedback, __("Write your feedback as text, or press Skip.")),
    (ResidentCard.return_reason, __("Say in words what is wrong with the work, or /cancel.")),
    (ResidentCard.return_photos, __("Send a photo, or press Done.")),
    (ResidentCard.cancel, __("Press Yes or No above.")),
):
    hints.register(_state, _hint)
del _state, _hint


async def _drop_buttons(query: CallbackQuery) -> None:
    """Take the buttons off the message that was answered, so it cannot be pressed again by mistake."""
    if isinstance(query.message, Message):
        with suppress(Exception):
            await query.message.edit_reply_markup(reply_markup=None)


# --- New request: the steps ---------------------------------------------------------------------------------------


async def _ask_category(message: Message) -> None:
    buttons = [button(render.label("category", value), NewCb(step="cat", value=value)) for value in Category.values]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await message.answer(_("What is the problem about? Choose a category."), reply_markup=keyboard(*rows))


async def _ask_urgency(message: Message) -> None:
    rows = [
        [button(f"{render.URGENCY_ICONS[value]} {render.label('urgency', value)}", NewCb(step="urg", value=value))]
        for value in Urgency.values
    ]
    text = _(
        "How urgent is it?\n\n🔴 <b>Critical</b> means a danger to life or property: flooding, a smell of gas, "
        "no heating in winter, a fire risk. Such requests are handled first, day and night."
    )
    await message.answer(text, reply_markup=keyboard(*rows))


def _apartment_label(apartment: users_public.ApartmentRef) -> str:
    return _("{address}, apt. {number}").format(address=apartment.building_address, number=apartment.number)


def saved_addresses(account_id: int) -> list[tuple[int, str]]:
    """The person's approved apartments as (apartment id, how it reads), primary first."""
    return [(ref.apartment_id, _apartment_label(ref)) for ref in users_public.apartments_of(account_id=account_id)]


async def _ask_address(message: Message, state: FSMContext, person: Person) -> None:
    saved = await call(saved_addresses, person.account_id)
    if not saved:
        await state.set_state(ResidentRequest.address_text)
        await message.answer(_("Where is the problem? Type the address (street, building, apartment)."))
        return
    await state.set_state(ResidentRequest.address)
    rows = [[button(text, NewCb(step="addr", value=str(apartment_id)))] for apartment_id, text in saved]
    rows.append([button(_("✏️ Other address"), NewCb(step="addr", value="other"))])
    await message.answer(_("Where is the problem?"), reply_markup=keyboard(*rows))


async def _ask_description(message: Message) -> None:
    await message.answer(_("Describe the problem in a few words: what happened and where exactly."))


async def _ask_photos(message: Message) -> None:
    await message.answer(
        _("Send photos of the problem, if you have any (one or several). Press Done when finished."),
        reply_markup=keyboard([button(_("Skip"), NewCb(step="photos", value="done"))]),
    )


VISIT_WINDOWS = {  # company-local hours of the named visit windows
    "tm_morning": (time(9), time(12)),
    "tm_afternoon": (time(12), time(17)),
    "tm_evening": (time(17), time(21)),
}
DAY_ENDS = time(21)  # "today" runs until then
TODAY_UNTIL = time(20)  # later than this, a visit today is not offered


def _company_now() -> datetime:
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE))


def visit_window(key: str, now: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """The visit window ``key`` (any, today, tm_morning, tm_afternoon, tm_evening) as aware datetimes in the
    company's time zone; (None, None) for any time."""
    now = now or _company_now()
    zone = ZoneInfo(settings.TIME_ZONE)
    if key == "today":
        start = max(now.replace(second=0, microsecond=0), datetime.combine(now.date(), time(9), zone))
        return start, datetime.combine(now.date(), DAY_ENDS, zone)
    if key in VISIT_WINDOWS:
        tomorrow = now.date() + timedelta(days=1)
        start, end = VISIT_WINDOWS[key]
        return datetime.combine(tomorrow, start, zone), datetime.combine(tomorrow, end, zone)
    return None, None


def _visit_labels() -> dict[str, str]:
    return {
        "any": _("Any time"),
        "today": _("Today"),
        "tm_morning": _("Tomorrow morning (9–12)"),
        "tm_afternoon": _("Tomorrow afternoon (12–17)"),
        "tm_evening": _("Tomorrow evening (17–21)"),
    }


async def _ask_visit(message: Message) -> None:
    labels = _visit_labels()
    keys = ["any", "today", "tm_morning", "tm_afternoon", "tm_evening"]
    if _company_now().time() >= TODAY_UNTIL:
        keys.remove("today")  # too late for a visit today
    rows = [[button(labels[key], NewCb(step="visit", value=key))] for key in keys]
    await message.answer(_("When is it convenient for a specialist to come?"), reply_markup=keyboard(*rows))


def _visit_text(data: dict) -> str:
    if not data.get("visit_from"):
        return _("Any time")
    start = timezone.localtime(datetime.fromisoformat(data["visit_from"]))
    end = timezone.localtime(datetime.fromisoformat(data["visit_to"]))
    return f"{date_format(start, 'd.m')} {start:%H:%M}–{end:%H:%M}"


def summary_text(data: dict) -> str:
    """The request as it will be sent; the person's own words escaped."""
    photos = len(data.get("files", []))
    # xgettext does not look inside f-strings: each label is translated on its own first.
    category, urgency, address, visit, photos_label = _("Category"), _("Urgency"), _("Address"), _("Visit"), _("Photos")
    icon = render.URGENCY_ICONS.get(data["urgency"], "")
    parts = [
        _("<b>Please check your request</b>"),
        "",
        f"{category}: {render.label('category', data['category'])}",
        f"{urgency}: {icon} {render.label('urgency', data['urgency'])}",
        f"{address}: {render.esc(data['address_label'])}",
        f"{visit}: {_visit_text(data)}",
        f"{photos_label}: {photos}",
        "",
        render.esc(data["description"]),
    ]
    return "\n".join(parts)


async def _show_summary(message: Message, state: FSMContext) -> None:
    await state.set_state(ResidentRequest.summary)
    await state.update_data(editing=False)
    markup = keyboard(
        [button(_("✅ Confirm"), NewCb(step="confirm"))],
        [button(_("✏️ Edit"), NewCb(step="edit"))],
    )
    await message.answer(summary_text(await state.get_data()), reply_markup=markup)


async def _next(message: Message, state: FSMContext, person: Person, step: State) -> None:
    """Go on to ``step``, or back to the summary when the person is changing one field."""
    if (await state.get_data()).get("editing"):
        await _show_summary(message, state)
        return
    if step == ResidentRequest.address:
        await _ask_address(message, state, person)
        return
    await state.set_state(step)
    asks = {
        ResidentRequest.urgency: _ask_urgency,
        ResidentRequest.description: _ask_description,
        ResidentRequest.photos: _ask_photos,
        ResidentRequest.visit: _ask_visit,
    }
    await asks[step](message)


@router.message(MenuButton("new_request"), ActiveRole("applicant"))
async def new_request(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(ResidentRequest.category)
    await state.update_data(files=[])
    await _ask_category(message)


@router.callback_query(NewCb.filter(F.step == "cat"), ResidentRequest.category, F.message)
async def category_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value not in Category.values:
        return
    await state.update_data(category=callback_data.value)
    await _drop_buttons(query)
    await _next(query.message, state, person, ResidentRequest.urgency)


@router.callback_query(NewCb.filter(F.step == "urg"), ResidentRequest.urgency, F.message)
async def urgency_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value not in Urgency.values:
        return
    await state.update_data(urgency=callback_data.value)
    await _drop_buttons(query)
    await _next(query.message, state, person, ResidentRequest.address)


@router.callback_query(NewCb.filter(F.step == "addr"), ResidentRequest.address, F.message)
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
    await _drop_buttons(query)
    await _next(query.message, state, person, ResidentRequest.description)


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
    await _next(message, state, person, ResidentRequest.description)


@router.message(ResidentRequest.description, F.photo, F.caption)
async def description_with_photo(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    """A photo with a caption: the caption is the description and the photo the first one."""
    if not await _take_description(message, state, message.caption):
        return
    await state.set_state(ResidentRequest.photos)
    if not await _photo_taken(message, bot, state, person, NewCb(step="photos", value="done")):
        await _ask_photos(message)


@router.message(ResidentRequest.description, TEXT)
async def description_typed(message: Message, state: FSMContext, person: Person) -> None:
    if not await _take_description(message, state, message.text):
        return
    if (await state.get_data()).get("editing"):
        await _show_summary(message, state)
        return
    await state.set_state(ResidentRequest.photos)
    await _ask_photos(message)


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


def _kind_of(message: Message) -> str:
    """Photos (and images sent as files) are photos "before"; other files are documents."""
    if message.photo or (message.document and (message.document.mime_type or "").startswith("image/")):
        return "before"
    return "document"


async def _take_file(message: Message, bot: Bot, state: FSMContext, person: Person) -> int:
    """Store the message's file as the person's upload and remember it in the dialog; return how many there are
    now (0 when refused, after saying why)."""
    files = (await state.get_data()).get("files", [])
    if len(files) >= MAX_FILES:
        await message.answer(
            _("That is as many files as a request can hold ({limit}). Press Done.").format(limit=MAX_FILES)
        )
        return 0
    try:
        media_id = await store_file(bot, message, owner_id=person.account_id)
    except FileRefused as refused:
        await message.answer(render.esc(refused.message))
        return 0
    # read again: the file was downloaded meanwhile (updates of one person run one at a time, so none is lost)
    files = [*(await state.get_data()).get("files", []), [media_id, _kind_of(message)]]
    await state.update_data(files=files)
    return len(files)


async def _photo_taken(message: Message, bot: Bot, state: FSMContext, person: Person, done: CallbackData) -> bool:
    """Take the message's file (:func:`_take_file`) and say how many there are, with a Done button that sends
    ``done``; return whether it was taken."""
    count = await _take_file(message, bot, state, person)
    if count:
        text = n_(
            "Got {count} photo. Send more, or press Done.", "Got {count} photos. Send more, or press Done.", count
        )
        await message.answer(text.format(count=count), reply_markup=keyboard([button(_("✅ Done"), done)]))
    return bool(count)


@router.message(ResidentRequest.photos, FILE)
async def photo_sent(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    await _photo_taken(message, bot, state, person, NewCb(step="photos", value="done"))


@router.callback_query(NewCb.filter(F.step == "photos"), ResidentRequest.photos, F.message)
async def photos_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _drop_buttons(query)
    await _next(query.message, state, person, ResidentRequest.visit)


@router.callback_query(NewCb.filter(F.step == "visit"), ResidentRequest.visit, F.message)
async def visit_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in _visit_labels():
        return
    start, end = visit_window(callback_data.value)
    await state.update_data(
        visit=callback_data.value,
        visit_from=start.isoformat() if start else None,
        visit_to=end.isoformat() if end else None,
    )
    await _drop_buttons(query)
    await _show_summary(query.message, state)


EDITABLE = {
    "category": (__("Category"), ResidentRequest.category),
    "urgency": (__("Urgency"), ResidentRequest.urgency),
    "address": (__("Address"), ResidentRequest.address),
    "description": (__("Description"), ResidentRequest.description),
    "photos": (__("Photos"), ResidentRequest.photos),
    "visit": (__("Visit time"), ResidentRequest.visit),
}


@router.callback_query(NewCb.filter(F.step == "edit"), ResidentRequest.summary, F.message)
async def edit_chosen(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await _drop_buttons(query)
    await state.set_state(ResidentRequest.edit)
    rows = [[button(str(text), NewCb(step="field", value=name))] for name, (text, _s) in EDITABLE.items()]
    rows.append([button(_("⬅️ Back to the summary"), NewCb(step="field", value="back"))])
    await query.message.answer(_("What would you like to change?"), reply_markup=keyboard(*rows))


@router.callback_query(NewCb.filter(F.step == "field"), ResidentRequest.edit, F.message)
async def field_chosen(query: CallbackQuery, callback_data: NewCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _drop_buttons(query)
    field = callback_data.value
    if field not in EDITABLE:
        await _show_summary(query.message, state)
        return
    await state.update_data(editing=True)
    message = query.message
    if field == "address":
        await _ask_address(message, state, person)
        return
    await state.set_state(EDITABLE[field][1])
    if field == "photos":
        await state.update_data(files=[])
        await message.answer(
            _("Send the photos again (the earlier ones are dropped), then press Done. Or press Skip for none."),
            reply_markup=keyboard([button(_("Skip"), NewCb(step="photos", value="done"))]),
        )
        return
    asks = {"category": _ask_category, "urgency": _ask_urgency, "description": _ask_description, "visit": _ask_visit}
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


@router.callback_query(NewCb.filter(F.step == "confirm"), ResidentRequest.summary, F.message)
async def confirmed(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before the service: a second tap finds the dialog over
    await _drop_buttons(query)
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
        await _show_summary(query.message, state)
        return
    text = _("✅ Your request <b>{number}</b> is registered. We will tell you when a specialist takes it.").format(
        number=number
    )
    if duplicate_of:
        text += "\n\n" + _(
            "⚠️ A similar request from your apartment is already open: <b>{number}</b>. We have linked them."
        ).format(number=duplicate_of)
    markup = keyboard([button(_("Open"), RequestCb(action="open", number=number))])
    await query.message.answer(text, reply_markup=markup)


# --- My requests ----------------------------------------------------------------------------------------------------


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


@router.message(MenuButton("my_requests"), ActiveRole("applicant"))
async def my_requests(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    listing = await call(requests_page, person.account_id, 0)
    await message.answer(listing.text, reply_markup=lists.markup(listing, "mine"))


@router.callback_query(PageCb.filter(F.name == "mine"), ActiveRole("applicant"), F.message)
async def my_requests_page(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    listing = await call(requests_page, person.account_id, callback_data.page)
    await query.message.edit_text(listing.text, reply_markup=lists.markup(listing, "mine"))


# --- the card's buttons ------------------------------------------------------------------------------------------


def card_actions(person: Person, card: RequestCard) -> list[list[InlineKeyboardButton]]:
    """The applicant's buttons on their own request's card, from the moves the card offers (co-residents' requests
    are read-only)."""
    if not card.party:
        return []
    number, status, moves = card.number, card.status, card.moves
    rows = []
    if status == Status.CLARIFICATION:
        rows.append([button(_("💬 Answer the question"), RequestCb(action="answer", number=number))])
    if Status.ACCEPTED in moves:
        rows.append([button(_("⭐ Accept"), RequestCb(action="accept", number=number))])
    if Status.RETURNED in moves:
        rows.append([button(_("↩️ Return"), RequestCb(action="return", number=number))])
    if status == Status.ACCEPTED and card.rating is None:
        rows.append([button(_("⭐ Rate"), RequestCb(action="rate", number=number))])
    if status != Status.CANCELLED:
        rows.append([button(_("💬 Comment"), RequestCb(action="comment", number=number))])
    if not card.closed:
        rows.append([button(_("📎 Add photo"), RequestCb(action="photo", number=number))])
    if Status.CANCELLED in moves:
        rows.append([button(_("✖️ Cancel request"), RequestCb(action="cancel", number=number))])
    return rows


register_actions("applicant", card_actions)


def own_request(account_id: int, number: str) -> RequestCard | None:
    """The request if ``account_id`` filed it, else None (someone else's looks the same as a missing one)."""
    card = requests_selectors.request_card(account_id=account_id, actor_kind=Actor.APPLICANT, number=number)
    return card if card is not None and card.party else None


async def _own(query: CallbackQuery, person: Person, number: str) -> RequestCard | None:
    own = await call(own_request, person.account_id, number)
    if own is None:
        await query.message.answer(_("Request {number} was not found.").format(number=render.esc(number)))
    return own


async def _finish(message: Message, state: FSMContext, function, /, **kwargs) -> bool:
    """End the dialog, then run the service; on a validation refusal put the dialog back where it was (the person
    can try again) and say why. Return whether the service went through."""
    step, data = await state.get_state(), await state.get_data()
    await state.clear()  # before the service: a repeated message or tap finds the dialog over
    try:
        await call(function, **kwargs)
    except ValidationFailedError as exc:
        await state.set_state(step)
        await state.set_data(data)
        await message.answer(explain(exc))
        return False
    return True


CARD_ACTIONS = {"comment", "photo", "cancel", "answer", "accept", "return", "rate"}


@router.callback_query(RequestCb.filter(F.action.in_(CARD_ACTIONS)), ActiveRole(*APPLICANTS), F.message)
async def card_action(query: CallbackQuery, callback_data: RequestCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    own = await _own(query, person, callback_data.number)
    if own is None:
        return
    await state.clear()
    await state.update_data(number=own.number)
    message, number, action = query.message, own.number, callback_data.action
    if action == "comment":
        await state.set_state(ResidentCard.comment)
        await message.answer(_("Write your comment on request {number}.").format(number=number))
    elif action == "photo":
        await state.set_state(ResidentCard.photos)
        await state.update_data(files=[])
        await message.answer(_("Send the photos for request {number}, then press Done.").format(number=number))
    elif action == "answer":
        await _start_answer(message, state, own)
    elif action == "cancel":
        await _start_cancel(message, state, own)
    elif action in {"accept", "rate"}:
        await _start_rating(message, state, own, action)
    elif action == "return":
        await _start_return(message, state, own)


# comment


@router.message(ResidentCard.comment, TEXT)
async def comment_typed(message: Message, state: FSMContext, person: Person) -> None:
    number = (await state.get_data())["number"]
    done = await _finish(
        message,
        state,
        requests_services.comment_add,
        number=number,
        author_id=person.account_id,
        actor_kind=Actor.APPLICANT,
        text=message.text,
    )
    if done:
        await message.answer(_("💬 Your comment is added to request {number}.").format(number=number))


# add photos


@router.message(ResidentCard.return_photos, FILE)  # the photos of a return, too
@router.message(ResidentCard.photos, FILE)
async def card_photo_sent(message: Message, bot: Bot, state: FSMContext, person: Person) -> None:
    number = (await state.get_data())["number"]
    await _photo_taken(message, bot, state, person, ActCb(action="done", number=number))


@router.callback_query(ActCb.filter(F.action == "done"), ResidentCard.photos, F.message)
async def card_photos_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _drop_buttons(query)
    data = await state.get_data()
    if not data.get("files"):
        await query.message.answer(_("Send a photo, or press Done."))
        return
    done = await _finish(
        query.message,
        state,
        requests_services.files_attach,
        number=data["number"],
        files=[(media_id, kind) for media_id, kind in data["files"]],
        actor_id=person.account_id,
        actor_kind=Actor.APPLICANT,
    )
    if done:
        count = len(data["files"])
        text = n_(
            "📎 {count} file is added to request {number}.", "📎 {count} files are added to request {number}.", count
        )
        await query.message.answer(text.format(count=count, number=data["number"]))


# clarification


async def _start_answer(message: Message, state: FSMContext, own: RequestCard) -> None:
    if own.status != Status.CLARIFICATION:
        await state.clear()
        await message.answer(_("No question is waiting for your answer on request {number}.").format(number=own.number))
        return
    await state.set_state(ResidentCard.answer)
    question = f"\n\n❓ <i>{render.esc(own.question)}</i>" if own.question else ""
    await message.answer(
        _("The manager asks about request {number}:").format(number=own.number)
        + question
        + "\n\n"
        + _("Type your answer.")
    )


@router.message(ResidentCard.answer, TEXT)
async def answer_typed(message: Message, state: FSMContext, person: Person) -> None:
    number = (await state.get_data())["number"]
    done = await _finish(
        message,
        state,
        requests_services.clarification_answer,
        number=number,
        actor_id=person.account_id,
        answer=message.text,
    )
    if done:
        await message.answer(_("Thank you! Your answer is passed on; request {number} goes on.").format(number=number))


# cancel


async def _start_cancel(message: Message, state: FSMContext, own: RequestCard) -> None:
    if Status.CANCELLED not in own.moves:
        await state.clear()
        await message.answer(
            _(
                "Request {number} is already being worked on and cannot be cancelled now. Write a comment instead."
            ).format(number=own.number)
        )
        return
    await state.set_state(ResidentCard.cancel)
    markup = keyboard(
        [
            button(_("Yes, cancel it"), ActCb(action="yes", number=own.number)),
            button(_("No"), ActCb(action="no", number=own.number)),
        ]
    )
    await message.answer(_("Cancel request {number}?").format(number=own.number), reply_markup=markup)


@router.callback_query(ActCb.filter(F.action.in_({"yes", "no"})), ResidentCard.cancel, F.message)
async def cancel_answered(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _drop_buttons(query)
    number = (await state.get_data())["number"]
    if callback_data.action == "no":
        await state.clear()
        await query.message.answer(_("OK, request {number} stays open.").format(number=number))
        return
    done = await _finish(
        query.message,
        state,
        requests_services.request_move,
        number=number,
        to_status=Status.CANCELLED,
        actor_kind=Actor.APPLICANT,
        actor_id=person.account_id,
    )
    if done:
        await query.message.answer(_("✖️ Request {number} is cancelled.").format(number=number))


# accept with a rating, or rate later


async def _start_rating(message: Message, state: FSMContext, own: RequestCard, action: str) -> None:
    if action == "accept" and Status.ACCEPTED not in own.moves:
        await state.clear()
        await message.answer(_("Request {number} is not waiting for your acceptance.").format(number=own.number))
        return
    if action == "rate" and (own.status != Status.ACCEPTED or own.rating is not None):
        await state.clear()
        await message.answer(_("Request {number} cannot be rated now.").format(number=own.number))
        return
    await state.set_state(ResidentCard.stars)
    await state.update_data(mode=action)
    stars = [button(f"{n} ⭐", ActCb(action="stars", number=own.number, value=str(n))) for n in range(1, 6)]
    await message.answer(
        _("How would you rate the work on request {number}?").format(number=own.number), reply_markup=keyboard(stars)
    )


@router.callback_query(ActCb.filter(F.action == "stars"), ResidentCard.stars, F.message)
async def stars_chosen(query: CallbackQuery, callback_data: ActCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in {"1", "2", "3", "4", "5"}:
        return
    await _drop_buttons(query)
    await state.update_data(rating=int(callback_data.value))
    await state.set_state(ResidentCard.feedback)
    number = (await state.get_data())["number"]
    await query.message.answer(
        _("Thank you! Anything to add? Write a few words, or press Skip."),
        reply_markup=keyboard([button(_("Skip"), ActCb(action="skip", number=number))]),
    )


async def _rate(message: Message, state: FSMContext, person: Person, feedback: str) -> None:
    data = await state.get_data()
    number, rating = data["number"], data["rating"]
    if data.get("mode") == "rate":
        done = await _finish(
            message,
            state,
            requests_services.request_rate,
            number=number,
            actor_id=person.account_id,
            rating=rating,
            feedback=feedback,
        )
    else:
        done = await _finish(
            message,
            state,
            requests_services.request_accept,
            number=number,
            actor_kind=Actor.APPLICANT,
            actor_id=person.account_id,
            rating=rating,
            feedback=feedback,
        )
    if done:
        stars = "★" * rating + "☆" * (5 - rating)
        if data.get("mode") == "rate":
            text = _("⭐ Thank you for rating the work on request {number}: {stars}.")
        else:
            text = _("⭐ Thank you! Request {number} is closed with your rating {stars}.")
        await message.answer(text.format(number=number, stars=stars))


@router.message(ResidentCard.feedback, TEXT)
async def feedback_typed(message: Message, state: FSMContext, person: Person) -> None:
    feedback = message.text.strip()
    if len(feedback) > MAX_FEEDBACK:
        await message.answer(
            _("That is too long ({count} characters). Please keep it under {limit}, or press Skip.").format(
                count=len(feedback), limit=MAX_FEEDBACK
            )
        )
        return
    await _rate(message, state, person, feedback)


@router.callback_query(ActCb.filter(F.action == "skip"), ResidentCard.feedback, F.message)
async def feedback_skipped(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _drop_buttons(query)
    await _rate(query.message, state, person, "")


# return the work


async def _start_return(message: Message, state: FSMContext, own: RequestCard) -> None:
    if Status.RETURNED not in own.moves:
        await state.clear()
        await message.answer(_("Request {number} cannot be returned now.").format(number=own.number))
        return
    await state.set_state(ResidentCard.return_reason)
    await message.answer(
        _("What is wrong with the work on request {number}? Please describe it.").format(number=own.number)
    )


@router.message(ResidentCard.return_reason, TEXT)
async def return_reason_typed(message: Message, state: FSMContext) -> None:
    reason = message.text.strip()
    if not reason or len(reason) > MAX_FEEDBACK:
        await message.answer(_("Please say in up to {limit} characters what is wrong.").format(limit=MAX_FEEDBACK))
        return
    await state.update_data(reason=reason, files=[])
    await state.set_state(ResidentCard.return_photos)
    number = (await state.get_data())["number"]
    await message.answer(
        _("You can send photos showing the problem. Press Done when finished."),
        reply_markup=keyboard([button(_("✅ Done"), ActCb(action="done", number=number))]),
    )


@router.callback_query(ActCb.filter(F.action == "done"), ResidentCard.return_photos, F.message)
async def return_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _drop_buttons(query)
    data = await state.get_data()
    done = await _finish(
        query.message,
        state,
        requests_services.request_return,
        number=data["number"],
        actor_kind=Actor.APPLICANT,
        actor_id=person.account_id,
        reason=data["reason"],
        photos=[media_id for media_id, _kind in data.get("files", [])],
    )
    if done:
        await query.message.answer(
            _("↩️ Request {number} is returned to work. We will tell you when it is fixed.").format(
                number=data["number"]
            )
        )
