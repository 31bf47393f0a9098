"""The executor's screens: verification documents, the shift (with location and live location), my tasks and
their card actions (start, materials, waiting, complete), the pool of free requests with Claim, and the archive.

Every database call goes through :func:`bot.sync.call` to the small synchronous functions of this module, which
call the apps' services and selectors and hand back plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from django.utils import timezone
from django.utils.translation import get_language

from bot import hints, lists, render
from bot.callbacks import PageCb, RequestCb
from bot.errors import explain
from bot.files import store_file
from bot.filters import ActiveRole
from bot.handlers.cards import register_actions, show_card
from bot.handlers.common import show_menu
from bot.i18n import _, __, texts_of
from bot.menus import MenuButton
from bot.person import Person
from bot.redis import redis
from bot.sync import call
from ukbot.core.errors import (
    AppError,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import RequestCard
from ukbot.requests.statuses import IN_HANDS, Actor, Status
from ukbot.shifts import public as shifts_public
from ukbot.shifts import selectors as shifts_selectors
from ukbot.shifts import services as shifts_services
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors
from ukbot.users.selectors import VerificationView
from ukbot.users.services import verification
from ukbot.users.specializations import SpecializationKey

router = Router(name=__name__)
router.message.filter(ActiveRole("executor"))
router.callback_query.filter(ActiveRole("executor"))
router.edited_message.filter(ActiveRole("executor"))

ARCHIVE = (Status.COMPLETED, Status.CONFIRMED, Status.ACCEPTED)
MAX_DOCUMENTS = verification.MAX_DOCUMENTS
MAX_PHOTOS = 10
# An executor whose live location keeps arriving after the shift ended hears about it once in this long.
OFF_SHIFT_REMINDER_SECONDS = 600

WITHOUT_LOCATION = __("➡️ Without location")
SHARE_LOCATION = __("📍 Share location")


class ExecCb(CallbackData, prefix="ex"):
    """An executor's action on a request: claim, start, mat (materials), wait, resume, done (complete), and the
    wizards' steps: mwait/mnow (wait for materials or not), pdone (photos done), skip (no comment)."""

    action: str
    number: str


class ShiftCb(CallbackData, prefix="shift"):
    """start, end, or trade (the specialization of the shift to start, in ``value``)."""

    action: str
    value: str = ""


class VerifyCb(CallbackData, prefix="ver"):
    """apply (``value``: the specialization), add (``value``: the application id), done."""

    action: str
    value: str = ""


class ShiftForm(StatesGroup):
    start_location = State()
    end_location = State()


class VerifyForm(StatesGroup):
    documents = State()


class MaterialsForm(StatesGroup):
    items = State()
    wait = State()


class CompleteForm(StatesGroup):
    photos = State()
    comment = State()


hints.register(ShiftForm.start_location, __("Share your location with the button below, or press “Without location”."))
hints.register(ShiftForm.end_location, __("Share your location with the button below, or press “Without location”."))
hints.register(VerifyForm.documents, __("Send a photo of a document, or press Done. /cancel to stop."))
hints.register(
    MaterialsForm.items,
    __("Write the materials, one per line: name, quantity and unit, e.g. “Pipe 20mm 2 m”. /cancel to stop."),
)
hints.register(MaterialsForm.wait, __("Press one of the buttons above: wait for the materials or keep working."))
hints.register(CompleteForm.photos, __("Send a photo of the finished work, then press Done. /cancel to stop."))
hints.register(CompleteForm.comment, __("Write a short comment about the work, or press Skip."))


# --- plain data from the database thread ------------------------------------------------------------------------


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


def _trade_label(key: str) -> str:
    """A specialization as it reads in the active language."""
    return users_public.label(field="specialization", value=key, language=get_language() or "ru")


@dataclass(frozen=True)
class ShiftNow:
    """Whether the executor is on shift, since when and in which trade; and the trades they have."""

    shift_id: int | None
    since: str
    trade: str
    trades: tuple[str, ...]


def shift_now(account_id: int) -> ShiftNow:
    """The executor's shift as the bot shows it."""
    shift = shifts_selectors.shift_current(executor_id=account_id)
    trades = tuple(sorted(users_public.specializations_of(account_id=account_id)))
    if shift is None:
        return ShiftNow(None, "", "", trades)
    return ShiftNow(shift.shift_id, render.when(shift.started_at), _trade_label(shift.specialization), trades)


def shift_start(account_id: int, trade: str | None, latitude=None, longitude=None) -> str:
    """Start a shift now; return what to say."""
    shift = shifts_services.shift_start(
        executor_id=account_id, specialization=trade, latitude=latitude, longitude=longitude
    )
    return _(
        "✅ Your shift ({trade}) has started at {time}.\n"
        "Free requests of your trade are in “🆓 Free requests”.\n"
        "Tip: share your live location (📎 → Location → Share live location) so the dispatcher sees where you are."
    ).format(trade=_trade_label(shift.specialization), time=timezone.localtime(shift.actual_start).strftime("%H:%M"))


def shift_end(account_id: int, shift_id: int, latitude=None, longitude=None) -> str:
    """End the shift; return what to say."""
    shift = shifts_services.shift_end(executor_id=account_id, shift_id=shift_id, latitude=latitude, longitude=longitude)
    minutes = int((shift.actual_end - shift.actual_start).total_seconds() // 60)
    return _("🏁 Your shift has ended. You worked {hours} h {minutes} min. Thank you!").format(
        hours=minutes // 60, minutes=minutes % 60
    )


def application_text(application: VerificationView | None) -> str:
    """How the application reads for its author."""
    if application is None:
        return _("You have not applied for verification yet.")
    trade = _trade_label(application.specialization)
    if application.status == "pending":
        return _("🕓 Your application ({trade}) is waiting for review. Documents: {count}.").format(
            trade=trade, count=len(application.documents)
        )
    if application.status == "approved":
        return _("✅ Your application ({trade}) was approved.").format(trade=trade)
    return _("❌ Your application ({trade}) was rejected: {reason}").format(
        trade=trade, reason=render.esc(application.reason)
    )


def verification_submit(account_id: int, trade: str, application_id: int | None, documents: list[str]) -> str:
    """Apply, or add the documents to the pending application; return the application's status text."""
    if application_id is None:
        verification.verification_apply(account_id=account_id, specialization=trade, documents=documents)
    else:
        verification.verification_add_documents(
            application_id=application_id, account_id=account_id, documents=documents
        )
    return application_text(users_selectors.verification_latest(account_id=account_id))


def my_request(account_id: int, number: str) -> RequestCard | None:
    """The request if it is assigned to this executor, else None (one of their pool is not theirs yet)."""
    card = requests_selectors.request_card(account_id=account_id, actor_kind=Actor.EXECUTOR, number=number)
    return card if card is not None and card.party else None


def request_status(account_id: int, number: str) -> str | None:
    """The status of the executor's own request, or None when it is not theirs."""
    request = my_request(account_id, number)
    return request.status if request is not None else None


def move(account_id: int, number: str, to_status: str) -> tuple[bool, str]:
    """Move the executor's request; return (whether it is theirs, what to say)."""
    request = my_request(account_id, number)
    if request is None:
        return False, _("Request {number} was not found.").format(number=render.esc(number))
    if request.status == to_status:
        return True, _("Request {number} is already {status}.").format(
            number=number, status=render.label("status", to_status)
        )
    requests_services.request_move(number=number, to_status=to_status, actor_kind=Actor.EXECUTOR, actor_id=account_id)
    said = {
        Status.IN_PROGRESS: _("🔧 Work on request {number} has started."),
        Status.WAITING_MATERIALS: _("📦 Request {number} is waiting for materials."),
    }.get(to_status, _("Request {number} updated."))
    return True, said.format(number=number)


def claim(account_id: int, number: str) -> tuple[bool, str]:
    """Take a request from the pool; the state machine's service decides (the request must still be new, of the
    executor's trade, and they on shift in it). Return (taken, what to say)."""
    try:
        requests_services.request_move(
            number=number, to_status=Status.ASSIGNED, actor_kind=Actor.EXECUTOR, actor_id=account_id
        )
    except NotFoundError:
        return False, _("Request {number} was not found.").format(number=render.esc(number))
    except InvalidTransitionError:  # no longer new: somebody took it, maybe this executor a moment earlier
        if my_request(account_id, number) is not None:
            return True, _("Request {number} is already yours.").format(number=number)
        return False, _("Sorry, request {number} has already been taken by someone else.").format(number=number)
    except PermissionDeniedError as refused:  # another trade, or off shift in it
        return False, explain(refused)
    return True, _("👍 Request {number} is yours now. Press “Start work” when you begin.").format(number=number)


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


def complete(account_id: int, number: str, photos: list[str], comment: str) -> str:
    """Report the work done; return what to say."""
    requests_services.request_complete(number=number, actor_id=account_id, photos=photos, comment=comment)
    return _("✅ Request {number} is completed. Thank you! The manager will check the work.").format(number=number)


def card_actions(person: Person, card: RequestCard) -> list[list[InlineKeyboardButton]]:
    """The executor's buttons on a request card, from the moves the card offers: Claim on one of their pool, the
    work's next steps on their own."""

    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=ExecCb(action=action, number=card.number).pack())

    moves = card.moves
    if not card.party:
        return [[button(_("✋ Claim"), "claim")]] if Status.ASSIGNED in moves else []
    rows = []
    if Status.IN_PROGRESS in moves:
        start = card.status == Status.ASSIGNED
        rows.append([button(_("🔧 Start work") if start else _("▶️ Resume work"), "start" if start else "resume")])
    if Status.COMPLETED in moves:
        rows.append([button(_("✅ Complete"), "done")])
    materials = [button(_("📦 Request materials"), "mat")] if card.status in requests_services.MATERIAL_STAGES else []
    if Status.WAITING_MATERIALS in moves:
        materials.append(button(_("⏸ Wait for materials"), "wait"))
    return [*rows, materials] if materials else rows


register_actions("executor", card_actions)


# --- lists ----------------------------------------------------------------------------------------------------------


def _claim(number: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=_("✋ Claim"), callback_data=ExecCb(action="claim", number=number).pack())]


OFF_SHIFT = __("You are off shift. Start your shift in “⏱ Shift” to see free requests.")


async def _page(person: Person, name: str, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    if name == "pool":
        listing = await call(pool_page, person.account_id, page)
        if listing is None:
            return str(OFF_SHIFT), None
        return listing.text, lists.markup(listing, name, extra=_claim)
    reader = tasks_page if name == "tasks" else archive_page
    listing = await call(reader, person.account_id, page)
    return listing.text, lists.markup(listing, name)


@router.message(MenuButton("my_tasks"))
async def my_tasks(message: Message, person: Person) -> None:
    text, markup = await _page(person, "tasks", 0)
    await message.answer(text, reply_markup=markup)


@router.message(MenuButton("pool"))
async def pool(message: Message, person: Person) -> None:
    text, markup = await _page(person, "pool", 0)
    await message.answer(text, reply_markup=markup)


@router.message(MenuButton("archive"))
async def archive(message: Message, person: Person) -> None:
    text, markup = await _page(person, "archive", 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(PageCb.filter(F.name.in_({"tasks", "pool", "archive"})), F.message)
async def page_turned(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    text, markup = await _page(person, callback_data.name, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


# --- the shift ------------------------------------------------------------------------------------------------------


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=str(SHARE_LOCATION), request_location=True)],
            [KeyboardButton(text=str(WITHOUT_LOCATION))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@router.message(MenuButton("shift"))
async def shift(message: Message, person: Person) -> None:
    now = await call(shift_now, person.account_id)
    if now.shift_id is None:
        text = _("You are off shift.")
        button = InlineKeyboardButton(text=_("▶️ Start shift"), callback_data=ShiftCb(action="start").pack())
    else:
        text = _("🟢 You are on shift ({trade}) since {since}.").format(trade=now.trade, since=now.since)
        button = InlineKeyboardButton(text=_("🏁 End shift"), callback_data=ShiftCb(action="end").pack())
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))


async def _ask_location(message: Message, state: FSMContext, to: State, **data) -> None:
    await state.set_state(to)
    await state.set_data(data)
    text = (
        _("Share your location to start the shift, or press “Without location”.")
        if to == ShiftForm.start_location
        else _("Share your location to end the shift, or press “Without location”.")
    )
    await message.answer(text, reply_markup=_location_keyboard())


@router.callback_query(ShiftCb.filter(F.action == "start"), F.message)
async def shift_start_pressed(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    now = await call(shift_now, person.account_id)
    if now.shift_id is not None:
        await query.message.answer(_("You are already on shift."))
        return
    if not now.trades:
        await query.message.answer(_("You have no specialization yet. Apply in “🪪 Verification” first."))
        return
    if len(now.trades) == 1:
        await _ask_location(query.message, state, ShiftForm.start_location, trade=now.trades[0])
        return
    rows = [
        [InlineKeyboardButton(text=_trade_label(key), callback_data=ShiftCb(action="trade", value=key).pack())]
        for key in now.trades
    ]
    await query.message.answer(
        _("Which trade is this shift in?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(ShiftCb.filter(F.action == "trade"), F.message)
async def shift_trade_chosen(query: CallbackQuery, callback_data: ShiftCb, state: FSMContext) -> None:
    await query.answer()
    await _ask_location(query.message, state, ShiftForm.start_location, trade=callback_data.value)


@router.callback_query(ShiftCb.filter(F.action == "end"), F.message)
async def shift_end_pressed(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    now = await call(shift_now, person.account_id)
    if now.shift_id is None:
        await query.message.answer(_("You are off shift."))
        return
    await _ask_location(query.message, state, ShiftForm.end_location, shift_id=now.shift_id)


def _coordinates(message: Message) -> tuple[float | None, float | None]:
    if message.location is None:
        return None, None
    return message.location.latitude, message.location.longitude


@router.message(ShiftForm.start_location, F.location | F.text.in_(texts_of(WITHOUT_LOCATION)))
async def shift_start_located(message: Message, state: FSMContext, person: Person) -> None:
    data = await state.get_data()
    await state.clear()
    latitude, longitude = _coordinates(message)
    try:
        text = await call(shift_start, person.account_id, data.get("trade"), latitude, longitude)
    except AppError as exc:
        text = explain(exc)
    await show_menu(message, person, text)


@router.message(ShiftForm.end_location, F.location | F.text.in_(texts_of(WITHOUT_LOCATION)))
async def shift_end_located(message: Message, state: FSMContext, person: Person) -> None:
    data = await state.get_data()
    await state.clear()
    latitude, longitude = _coordinates(message)
    try:
        text = await call(shift_end, person.account_id, data["shift_id"], latitude, longitude)
    except AppError as exc:
        text = explain(exc)
    await show_menu(message, person, text)


# --- live location --------------------------------------------------------------------------------------------------


async def _off_shift_once(person: Person) -> bool:
    """True the first time in a while that an off-shift location arrives (a live location repeats every few
    seconds; one answer is enough)."""
    key = f"ukbot:bot:offshift:{person.telegram_id}"
    return bool(await redis().set(key, 1, nx=True, ex=OFF_SHIFT_REMINDER_SECONDS))


OFF_SHIFT_LOCATION = __("You are off shift, so your location is not shared. Start your shift in “⏱ Shift” first.")


async def _location_update(message: Message, person: Person) -> bool | None:
    """Publish the position; True/False (published or throttled), None when off shift."""
    try:
        return await call(
            shifts_services.location_update,
            executor_id=person.account_id,
            latitude=message.location.latitude,
            longitude=message.location.longitude,
        )
    except ConflictError:
        return None
    except ValidationFailedError:
        return False


@router.message(F.location)
async def location_shared(message: Message, person: Person) -> None:
    published = await _location_update(message, person)
    if published is None:
        await message.answer(str(OFF_SHIFT_LOCATION))
    elif message.location.live_period:
        await message.answer(_("📍 Thanks! The dispatcher sees where you are while you are on shift."))
    else:
        await message.answer(_("📍 Location received."))


@router.edited_message(F.location)
async def live_location_moved(message: Message, person: Person) -> None:
    """A live location moving: recorded quietly; off shift, said once in a while."""
    if await _location_update(message, person) is None and await _off_shift_once(person):
        await message.answer(str(OFF_SHIFT_LOCATION))


# --- verification ---------------------------------------------------------------------------------------------------


def _trade_rows() -> list[list[InlineKeyboardButton]]:
    buttons = [
        InlineKeyboardButton(text=str(key.label), callback_data=VerifyCb(action="apply", value=key.value).pack())
        for key in SpecializationKey
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _done_markup(action: ExecCb | VerifyCb) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("✅ Done"), callback_data=action.pack())]]
    )


@router.message(MenuButton("verification"))
async def verification_screen(message: Message, person: Person) -> None:
    application = await call(users_selectors.verification_latest, account_id=person.account_id)
    text = await call(application_text, application)
    if application is not None and application.status == "pending":
        add = VerifyCb(action="add", value=str(application.application_id)).pack()
        rows = [[InlineKeyboardButton(text=_("➕ Add documents"), callback_data=add)]]
    else:
        text += "\n\n" + _("Choose the specialization to apply for:")
        rows = _trade_rows()
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(VerifyCb.filter(F.action.in_({"apply", "add"})), F.message)
async def verification_start(query: CallbackQuery, callback_data: VerifyCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.action == "apply":
        data = {"trade": callback_data.value, "application": None, "documents": []}
    else:
        data = {"trade": "", "application": int(callback_data.value), "documents": []}
    await state.set_state(VerifyForm.documents)
    await state.set_data(data)
    await query.message.answer(_("Send photos of your documents (ID, certificates), one or more, then press Done."))


@router.message(VerifyForm.documents, F.photo | F.document)
async def verification_document(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    data = await state.get_data()
    if len(data["documents"]) >= MAX_DOCUMENTS:
        await message.answer(
            _("That is the most I can take. Press Done."), reply_markup=_done_markup(VerifyCb(action="done"))
        )
        return
    media_id = await store_file(bot, message, owner_id=person.account_id)
    data["documents"].append(media_id)
    await state.update_data(documents=data["documents"])
    await message.answer(
        _("Document {count} received. Send more or press Done.").format(count=len(data["documents"])),
        reply_markup=_done_markup(VerifyCb(action="done")),
    )


@router.callback_query(VerifyForm.documents, VerifyCb.filter(F.action == "done"), F.message)
async def verification_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    if not data["documents"]:
        await query.message.answer(_("Send at least one photo of a document first."))
        return
    await state.clear()  # before the call: a second tap on Done finds the dialog over
    try:
        text = await call(verification_submit, person.account_id, data["trade"], data["application"], data["documents"])
    except AppError as exc:
        text = explain(exc)
    await query.message.answer(text)


# --- a request's actions --------------------------------------------------------------------------------------------


async def _moved(message: Message, person: Person, number: str, to_status: str) -> None:
    mine, text = await call(move, person.account_id, number, to_status)
    await message.answer(text)
    if mine:
        await show_card(message, person, number)


@router.callback_query(ExecCb.filter(F.action == "claim"), F.message)
async def claim_pressed(query: CallbackQuery, callback_data: ExecCb, person: Person) -> None:
    await query.answer()
    taken, text = await call(claim, person.account_id, callback_data.number)
    await query.message.answer(text)
    if taken:
        await show_card(query.message, person, callback_data.number)


@router.callback_query(ExecCb.filter(F.action.in_({"start", "resume"})), F.message)
@router.callback_query(RequestCb.filter(F.action == "start"), F.message)
async def start_pressed(query: CallbackQuery, callback_data: ExecCb | RequestCb, person: Person) -> None:
    """Start work (also the Start work button of a new assignment's notification) or resume it."""
    await query.answer()
    await _moved(query.message, person, callback_data.number, Status.IN_PROGRESS)


@router.callback_query(ExecCb.filter(F.action == "wait"), F.message)
async def wait_pressed(query: CallbackQuery, callback_data: ExecCb, person: Person) -> None:
    await query.answer()
    await _moved(query.message, person, callback_data.number, Status.WAITING_MATERIALS)


async def _own(query: CallbackQuery, person: Person, number: str, statuses) -> str | None:
    """The request's status if it is the executor's and in one of ``statuses``; else say why not and return None."""
    status = await call(request_status, person.account_id, number)
    if status is None:
        await query.message.answer(_("Request {number} was not found.").format(number=render.esc(number)))
        return None
    if status not in statuses:
        await query.message.answer(
            _("Request {number} is {status} now; this cannot be done.").format(
                number=number, status=render.label("status", status)
            )
        )
        return None
    return status


# materials


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


@router.callback_query(ExecCb.filter(F.action == "mat"), F.message)
async def materials_pressed(query: CallbackQuery, callback_data: ExecCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    status = await _own(
        query, person, callback_data.number, {Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MATERIALS}
    )
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
                text=_("⏸ Yes, wait for them"), callback_data=ExecCb(action="mwait", number=number).pack()
            )
        ],
        [InlineKeyboardButton(text=_("▶️ No, keep working"), callback_data=ExecCb(action="mnow", number=number).pack())],
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


@router.callback_query(MaterialsForm.wait, ExecCb.filter(F.action.in_({"mwait", "mnow"})), F.message)
async def materials_wait_chosen(query: CallbackQuery, callback_data: ExecCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before the call: a second tap finds the dialog over
    await _materials_send(query.message, person, data["number"], data["items"], wait=callback_data.action == "mwait")


# completion


@router.callback_query(ExecCb.filter(F.action == "done"), F.message)
async def complete_pressed(query: CallbackQuery, callback_data: ExecCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if await _own(query, person, callback_data.number, {Status.IN_PROGRESS}) is None:
        return
    await state.set_state(CompleteForm.photos)
    await state.set_data({"number": callback_data.number, "photos": []})
    await query.message.answer(_("Send photos of the finished work (one or more), then press Done."))


@router.message(CompleteForm.photos, F.photo | F.document)
async def complete_photo(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    data = await state.get_data()
    done = _done_markup(ExecCb(action="pdone", number=data["number"]))
    if len(data["photos"]) >= MAX_PHOTOS:
        await message.answer(_("That is the most I can take. Press Done."), reply_markup=done)
        return
    media_id = await store_file(bot, message, owner_id=person.account_id)
    data["photos"].append(media_id)
    await state.update_data(photos=data["photos"])
    await message.answer(
        _("Photo {count} received. Send more or press Done.").format(count=len(data["photos"])), reply_markup=done
    )


@router.callback_query(CompleteForm.photos, ExecCb.filter(F.action == "pdone"), F.message)
async def complete_photos_done(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    data = await state.get_data()
    if not data["photos"]:
        await query.message.answer(_("Send at least one photo of the finished work first."))
        return
    await state.set_state(CompleteForm.comment)
    skip = ExecCb(action="skip", number=data["number"]).pack()
    await query.message.answer(
        _("Write a short comment about the work done, or press Skip."),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=_("⏭ Skip"), callback_data=skip)]]
        ),
    )


async def _complete(message: Message, state: FSMContext, person: Person, comment: str) -> None:
    data = await state.get_data()
    await state.clear()  # before the call: a second tap or message finds the dialog over
    try:
        text = await call(complete, person.account_id, data["number"], data["photos"], comment)
    except AppError as exc:
        text = explain(exc)
    await message.answer(text)


@router.message(CompleteForm.comment, F.text)
async def complete_comment(message: Message, state: FSMContext, person: Person) -> None:
    await _complete(message, state, person, message.text)


@router.callback_query(CompleteForm.comment, ExecCb.filter(F.action == "skip"), F.message)
async def complete_skip(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    await _complete(query.message, state, person, "")
