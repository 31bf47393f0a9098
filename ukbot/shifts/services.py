"""Write use-cases of `shifts` (the first piece): start and end a shift, planned or started on the spot, and
the live location of an executor on shift."""

from __future__ import annotations

from decimal import Decimal

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.core.events import payloads_redact, publish
from ukbot.shifts.events import (
    EXECUTOR_LOCATION_UPDATED,
    SHIFT_COMPLETED,
    SHIFT_STARTED,
    ExecutorLocationUpdated,
    ShiftCompleted,
    ShiftStarted,
)
from ukbot.shifts.models import Shift, ShiftStatus
from ukbot.users import public as users_public

# A latitude or longitude as callers have it: a number from the bot or the API, or its text.
Degrees = Decimal | float | str | None


def _location(latitude: Degrees, longitude: Degrees) -> tuple[Decimal | None, Decimal | None]:
    if (latitude is None) != (longitude is None):
        raise ValidationFailedError(details={"location": _("Give both latitude and longitude, or neither.")})
    if latitude is None:
        return None, None
    lat, lon = Decimal(str(latitude)), Decimal(str(longitude))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailedError(details={"location": _("The coordinates are out of range.")})
    return lat.quantize(Decimal("0.000001")), lon.quantize(Decimal("0.000001"))


def shift_start(
    *,
    executor_id: int,
    shift_id: int | None = None,
    specialization: str | None = None,
    latitude: Degrees = None,
    longitude: Degrees = None,
) -> Shift:
    """Start one's planned shift, or (without ``shift_id``) a shift now in one of one's specializations.

    Publishes ``shift.started``.

    :raises NotFoundError: no such planned shift of this executor.
    :raises ValidationFailedError: a specialization the executor does not have (or none named while they have
        several); half or out-of-range coordinates.
    :raises ConflictError: the executor is already on shift, or the shift was already started.
    """
    lat, lon = _location(latitude, longitude)
    trades = users_public.specializations_of(account_id=executor_id)
    try:
        with transaction.atomic():
            if shift_id is not None:
                shift = Shift.objects.select_for_update().filter(pk=shift_id, executor_id=executor_id).first()
                if shift is None:
                    raise NotFoundError(_("No such shift."))
                if shift.status != ShiftStatus.PLANNED:
                    raise ConflictError(_("This shift was already started."))
            else:
                if specialization is None and len(trades) == 1:
                    specialization = next(iter(trades))
                if specialization not in trades:
                    raise ValidationFailedError(details={"specialization": _("Name one of your specializations.")})
                shift = Shift(executor_id=executor_id, specialization=specialization)
            shift.status, shift.actual_start = ShiftStatus.ACTIVE, timezone.now()
            shift.start_latitude, shift.start_longitude = lat, lon
            shift.save()
            publish(
                SHIFT_STARTED,
                subject=shift.pk,
                data=ShiftStarted(
                    shift_id=shift.pk,
                    executor_id=executor_id,
                    specialization=shift.specialization,
                    actual_start_time=shift.actual_start.isoformat(),
                    location={"latitude": str(lat), "longitude": str(lon)} if lat is not None else None,
                ),
            )
            return shift
    except IntegrityError:
        raise ConflictError(_("You are already on shift. End it first.")) from None


@transaction.atomic
def shift_end(*, executor_id: int, shift_id: int, latitude: Degrees = None, longitude: Degrees = None) -> Shift:
    """End one's active shift; publishes ``shift.completed`` with its duration.

    :raises NotFoundError: no such shift of this executor.
    :raises ConflictError: the shift is not active.
    """
    lat, lon = _location(latitude, longitude)
    shift = Shift.objects.select_for_update().filter(pk=shift_id, executor_id=executor_id).first()
    if shift is None:
        raise NotFoundError(_("No such shift."))
    if shift.status != ShiftStatus.ACTIVE:
        raise ConflictError(_("This shift is not in progress."))
    assert shift.actual_start is not None  # an active shift has started
    shift.status, shift.actual_end = ShiftStatus.COMPLETED, timezone.now()
    shift.end_latitude, shift.end_longitude = lat, lon
    shift.save()
    publish(
        SHIFT_COMPLETED,
        subject=shift.pk,
        data=ShiftCompleted(
            shift_id=shift.pk,
            executor_id=executor_id,
            specialization=shift.specialization,
            duration_seconds=int((shift.actual_end - shift.actual_start).total_seconds()),
            location={"latitude": str(lat), "longitude": str(lon)} if lat is not None else None,
        ),
    )
    return shift


# A live location in Telegram is re-sent every few seconds; one position per half minute is plenty for routes and
# the dispatcher's map, and keeps the outbox small.
LOCATION_EVERY_SECONDS = 30


@transaction.atomic
def location_update(*, executor_id: int, latitude: Degrees, longitude: Degrees) -> bool:
    """Record where an executor on shift is now: publish ``executor.location_updated`` (subject: the shift),
    at most once per ``LOCATION_EVERY_SECONDS`` per shift. Return whether this position was published (False when
    it came too soon after the previous one).

    :raises ValidationFailedError: half or out-of-range coordinates.
    :raises ConflictError: the executor is not on shift.
    """
    lat, lon = _location(latitude, longitude)
    if lat is None:
        raise ValidationFailedError(details={"location": _("Give both latitude and longitude.")})
    shift = Shift.objects.filter(executor_id=executor_id, status=ShiftStatus.ACTIVE).first()
    if shift is None:
        raise ConflictError(_("You are not on shift. Start your shift to share your location."))
    # the shift's start time in the key: ids are reused when a test database is flushed, a start time is not
    key = f"shifts:location:{shift.pk}:{shift.actual_start.timestamp() if shift.actual_start else 0}"
    if not cache.add(key, 1, timeout=LOCATION_EVERY_SECONDS):
        return False
    now = timezone.now()
    Shift.objects.filter(pk=shift.pk).update(last_latitude=lat, last_longitude=lon, last_located_at=now)
    publish(
        EXECUTOR_LOCATION_UPDATED,
        subject=shift.pk,
        data=ExecutorLocationUpdated(
            executor_id=executor_id,
            shift_id=shift.pk,
            latitude=str(lat),
            longitude=str(lon),
            at=now.isoformat(),
        ),
    )
    return True


LOCATION_EVENTS = (SHIFT_STARTED.name, SHIFT_COMPLETED.name, EXECUTOR_LOCATION_UPDATED.name)


@transaction.atomic
def executor_locations_forget(*, executor_id: int) -> int:
    """Blank every place a forgotten executor reported: the start and end points of their shifts and the
    locations in the events about them; their shifts (times, trade, status) stay. Safe twice; returns how many
    shifts changed.
    """
    changed = (
        Shift.objects.filter(executor_id=executor_id)
        .exclude(
            start_latitude=None,
            start_longitude=None,
            end_latitude=None,
            end_longitude=None,
            last_latitude=None,
            last_longitude=None,
        )
        .update(
            start_latitude=None,
            start_longitude=None,
            end_latitude=None,
            end_longitude=None,
            last_latitude=None,
            last_longitude=None,
            last_located_at=None,
        )
    )
    match = {"executor_id": executor_id}
    payloads_redact(types=LOCATION_EVENTS[:2], match=match, fields={"location": None})
    payloads_redact(types=LOCATION_EVENTS[2:], match=match, fields={"latitude": "", "longitude": ""})
    return changed
