"""Events published by `assignment` (its public contract): names and payload types; the subject is the request."""

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("assignment")


@dataclass(frozen=True)
class AssignmentCreated:
    """A request was given to an executor: by whom (``decided_by``, None for the system), how (``algorithm``:
    manual, auto, batch), the executor's score, and the top recommendation at the time (which a manual choice may
    have overridden)."""

    assignment_id: int
    request_number: str
    executor_id: int
    algorithm: str
    score: float | None
    decided_by: int | None
    recommended_executor_id: int | None


# Event types come after their payloads: define() checks each class.
ASSIGNMENT_CREATED = catalogue.define("assignment.created", payload=AssignmentCreated)
ASSIGNMENT_OPTIMIZED = catalogue.define("assignment.optimized")  # not published yet: no payload
ASSIGNMENT_FAILED = catalogue.define("assignment.failed")  # not published yet: no payload
MODEL_RETRAINED = catalogue.define("model.retrained")  # not published yet: no payload
