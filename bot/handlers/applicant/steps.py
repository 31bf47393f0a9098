"""The New request wizard's questions, one per step (category → urgency → address → description → photos → visit
time), the visit windows, and the summary the person confirms or edits (:mod:`.new_request` has the answers)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language

from bot import albums, hints, render
from bot.i18n import _, __, n_
from bot.keyboards import button, keyboard
from bot.person import Person
from bot.sync import call
from ukbot.requests.statuses import Category, Urgency
from ukbot.users import public as users_public


# State names are "<class name>:<state>" across every module of the bot: the names here are the resident's own.
class ResidentRequest(StatesGroup):
    category = State()
    urgency = State()
    address = State()
    address_text = State()
    description = State()
    photos = State()  # none yet: the step offers Skip
    more_photos = State()  # one or more: Done takes Skip's place
    visit = State()
    summary = State()
    edit = State()


class NewStep(StrEnum):
    """The step of the New request wizard a button answers; its ``value`` is the answer."""

    CATEGORY = "cat"
    URGENCY = "urg"
    ADDRESS = "addr"  # an apartment id, or "other"
    PHOTOS = "photos"  # photos done (or skipped)
    VISIT = "visit"
    CONFIRM = "confirm"
    EDIT = "edit"
    FIELD = "field"  # the field to edit, or "back"


class NewCb(CallbackData, prefix="anew"):
    step: NewStep
    value: str = ""


for _state, _hint in (
    (ResidentRequest.category, __("Choose a category with the buttons above, or /cancel.")),
    (ResidentRequest.urgency, __("Choose how urgent it is with the buttons above.")),
    (ResidentRequest.address, __("Choose the address with the buttons above.")),
    (ResidentRequest.address_text, __("Type the address as text.")),
    (ResidentRequest.description, __("Describe the problem in words. You can send photos at the next step.")),
    (ResidentRequest.photos, __("Send a photo, or press Skip.")),
    (ResidentRequest.more_photos, __("Send a photo, or press Done.")),
    (ResidentRequest.visit, __("Choose a convenient time with the buttons above.")),
    (ResidentRequest.summary, __("Press Confirm to send the request, or Edit to change it.")),
    (ResidentRequest.edit, __("Choose what to change with the buttons above.")),
):
    hints.register(_state, _hint)
del _state, _hint


async def ask_category(message: Message) -> None:
    buttons = [
        button(render.label("category", value), NewCb(step=NewStep.CATEGORY, value=value)) for value in Category.values
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await message.answer(_("What is the problem about? Choose a category."), reply_markup=keyboard(*rows))


async def ask_urgency(message: Message) -> None:
    rows = [
        [
            button(
                f"{render.URGENCY_ICONS[value]} {render.label('urgency', value)}",
                NewCb(step=NewStep.URGENCY, value=value),
            )
        ]
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
    return [
        (ref.apartment_id, _apartment_label(ref))
        for ref in users_public.apartments_of(account_id=account_id, language=get_language())
    ]


async def ask_address(message: Message, state: FSMContext, person: Person) -> None:
    saved = await call(saved_addresses, person.account_id)
    if not saved:
        await state.set_state(ResidentRequest.address_text)
        await message.answer(_("Where is the problem? Type the address (street, building, apartment)."))
        return
    await state.set_state(ResidentRequest.address)
    rows = [[button(text, NewCb(step=NewStep.ADDRESS, value=str(apartment_id)))] for apartment_id, text in saved]
    rows.append([button(_("✏️ Other address"), NewCb(step=NewStep.ADDRESS, value="other"))])
    await message.answer(_("Where is the problem?"), reply_markup=keyboard(*rows))


async def ask_description(message: Message) -> None:
    await message.answer(_("Describe the problem in a few words: what happened and where exactly."))


async def ask_photos(message: Message, state: FSMContext, *, again: bool = False) -> None:
    """Ask for photos with Skip under the question; the first photo puts Done in its place (:func:`photo_counted`).
    ``again``: the photos are asked anew from the summary, and the earlier ones dropped."""
    await state.set_state(ResidentRequest.photos)
    if again:
        text = _("Send the photos again (the earlier ones are dropped), or press Skip for none.")
        await state.update_data(files=[])
    else:
        text = _("Send photos of the problem, if you have any (one or several), or press Skip.")
    await albums.ask_photos(message, state, text, skip=button(_("Skip"), NewCb(step=NewStep.PHOTOS, value="done")))


async def photo_counted(message: Message, bot: Bot, state: FSMContext, count: int) -> None:
    """Say that a photo was taken, ``count`` in all, with "✅ Done (count)" under it, and move the step's buttons
    there (Skip, or the Done of the photo before, goes); an album is answered once (:mod:`bot.albums`)."""
    await state.set_state(ResidentRequest.more_photos)
    single = n_(
        "Got {count} photo. Send more, or press Done.", "Got {count} photos. Send more, or press Done.", count
    ).format(count=count)
    await albums.counted(message, bot, state, count=count, done=NewCb(step=NewStep.PHOTOS, value="done"), single=single)


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


def visit_labels() -> dict[str, str]:
    return {
        "any": _("Any time"),
        "today": _("Today"),
        "tm_morning": _("Tomorrow morning (9–12)"),
        "tm_afternoon": _("Tomorrow afternoon (12–17)"),
        "tm_evening": _("Tomorrow evening (17–21)"),
    }


async def ask_visit(message: Message) -> None:
    labels = visit_labels()
    keys = ["any", "today", "tm_morning", "tm_afternoon", "tm_evening"]
    if _company_now().time() >= TODAY_UNTIL:
        keys.remove("today")  # too late for a visit today
    rows = [[button(labels[key], NewCb(step=NewStep.VISIT, value=key))] for key in keys]
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


async def show_summary(message: Message, state: FSMContext) -> None:
    await state.set_state(ResidentRequest.summary)
    await state.update_data(editing=False)
    markup = keyboard(
        [button(_("✅ Confirm"), NewCb(step=NewStep.CONFIRM))],
        [button(_("✏️ Edit"), NewCb(step=NewStep.EDIT))],
    )
    await message.answer(summary_text(await state.get_data()), reply_markup=markup)


async def next_step(message: Message, state: FSMContext, person: Person, step: State) -> None:
    """Go on to ``step``, or back to the summary when the person is changing one field."""
    if (await state.get_data()).get("editing"):
        await show_summary(message, state)
        return
    if step == ResidentRequest.address:
        await ask_address(message, state, person)
        return
    if step == ResidentRequest.photos:
        await ask_photos(message, state)
        return
    await state.set_state(step)
    asks = {
        ResidentRequest.urgency: ask_urgency,
        ResidentRequest.description: ask_description,
        ResidentRequest.visit: ask_visit,
    }
    await asks[step](message)
