"""The executor's location (and live location) while on shift, for the dispatcher's map; off shift it is refused,
politely and once in a while."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.i18n import _, __
from bot.person import Person
from bot.redis import redis
from bot.sync import call
from ukbot.core.errors import ConflictError, ValidationFailedError
from ukbot.shifts import services as shifts_services

router = Router(name=__name__)


# An executor whose live location keeps arriving after the shift ended hears about it once in this long.
OFF_SHIFT_REMINDER_SECONDS = 600


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
