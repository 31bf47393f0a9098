"""Events published by `shifts` (its public contract): names and payload types; the subject is the shift id."""

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("shifts")


@dataclass(frozen=True)
class ShiftStarted:
    shift_id: int
    executor_id: int
    specialization: str
    actual_start_time: str
    location: dict | None


@dataclass(frozen=True)
class ShiftCompleted:
    shift_id: int
    executor_id: int
    specialization: str
    duration_seconds: int
    location: dict | None


@dataclass(frozen=True)
class ExecutorLocationUpdated:
    """Where an executor on shift is now (from the bot's live location); coordinates as decimal strings."""

    executor_id: int
    shift_id: int
    latitude: str
    longitude: str
    at: str


# Event types come after their payloads: define() checks each class.
SHIFT_CREATED = catalogue.define("shift.created")  # not published yet: no payload
SHIFT_STARTED = catalogue.define("shift.started", payload=ShiftStarted)
SHIFT_COMPLETED = catalogue.define("shift.completed", payload=ShiftCompleted)
SHIFT_TRANSFERRED = catalogue.define("shift.transferred")  # not published yet: no payload
EXECUTOR_LOCATION_UPDATED = catalogue.define("executor.location_updated", payload=ExecutorLocationUpdated)
