"""Events published by `requests` (its public contract): names and payload types; the subject is the number.

The values payloads carry for a status, an urgency or a category are those of :class:`Status`, :class:`Urgency`
and :class:`Category`, re-exported here so that consumers compare with the enum, not with copies of its strings.
"""

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue
from ukbot.requests.statuses import Category, Status, Urgency

__all__ = ["Category", "Status", "Urgency"]  # and the event types and payloads below

catalogue = EventCatalogue("requests")


@dataclass(frozen=True)
class RequestCreated:
    number: str
    applicant_id: int
    category: str
    urgency: str
    source: str
    building_id: int | None
    apartment_id: int | None


@dataclass(frozen=True)
class RequestStatusChanged:
    number: str
    old_status: str
    new_status: str
    actor_id: int | None
    actor_kind: str
    reason: str


@dataclass(frozen=True)
class RequestAssigned:
    number: str
    executor_id: int
    previous_executor_id: int | None
    assignment_type: str


@dataclass(frozen=True)
class RequestCompleted:
    number: str
    executor_id: int | None
    completion_time: str


@dataclass(frozen=True)
class CommentAdded:
    number: str
    comment_id: int
    author_id: int
    author_kind: str
    comment_type: str  # "public" or "internal"


@dataclass(frozen=True)
class MaterialLine:
    material_id: int
    item: str
    quantity: str  # a decimal as text, e.g. "2.5"
    unit: str


@dataclass(frozen=True)
class MaterialsRequested:
    number: str
    executor_id: int | None
    materials_list: tuple[MaterialLine, ...]


@dataclass(frozen=True)
class SlaBreached:
    number: str
    kind: str  # "reaction" (nobody assigned in time) or "resolution" (work not reported done in time)
    deadline: str  # ISO 8601
    urgency: str
    status: str
    executor_id: int | None


@dataclass(frozen=True)
class RequestUpdated:
    number: str
    changed_fields: tuple[str, ...]
    actor_id: int | None
    actor_kind: str


@dataclass(frozen=True)
class MaterialDecided:
    number: str
    material_id: int
    item: str
    status: str  # approved, issued or rejected
    reason: str
    executor_id: int | None
    decided_by: int


@dataclass(frozen=True)
class RequestRated:
    number: str
    rating: int
    executor_id: int | None
    applicant_id: int


# Event types come after their payloads: define() checks each class.
REQUEST_CREATED = catalogue.define("request.created", payload=RequestCreated)
REQUEST_STATUS_CHANGED = catalogue.define("request.status_changed", payload=RequestStatusChanged)
REQUEST_ASSIGNED = catalogue.define("request.assigned", payload=RequestAssigned)
REQUEST_COMPLETED = catalogue.define("request.completed", payload=RequestCompleted)
REQUEST_COMMENT_ADDED = catalogue.define("request.comment_added", payload=CommentAdded)
REQUEST_MATERIALS_REQUESTED = catalogue.define("request.materials_requested", payload=MaterialsRequested)
REQUEST_SLA_BREACHED = catalogue.define("request.sla_breached", payload=SlaBreached)
REQUEST_UPDATED = catalogue.define("request.updated", payload=RequestUpdated)
REQUEST_MATERIALS_DECIDED = catalogue.define("request.materials_decided", payload=MaterialDecided)
REQUEST_RATED = catalogue.define("request.rated", payload=RequestRated)
