"""The request state machine (DESIGN §4) in one place: statuses, categories, urgencies, and who may make each move.

A move is allowed when ``(from, to)`` is in :data:`MOVES` and the actor's kind is one of its kinds. Resource rules
(the executor must be the assigned one, the applicant must own the request) are checked by the services.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("new")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING_MATERIALS = "waiting_materials", _("waiting for materials")
    CLARIFICATION = "clarification", _("clarification")
    COMPLETED = "completed", _("completed")
    CONFIRMED = "confirmed", _("confirmed")
    RETURNED = "returned", _("returned")
    ACCEPTED = "accepted", _("accepted")
    CANCELLED = "cancelled", _("cancelled")


class Category(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    PLUMBING = "plumbing", _("Plumbing")
    HEATING = "heating", _("Heating")
    VENTILATION = "ventilation", _("Ventilation")
    ELEVATOR = "elevator", _("Elevator")
    CLEANING = "cleaning", _("Cleaning")
    LANDSCAPING = "landscaping", _("Landscaping")
    SECURITY = "security", _("Security")
    INTERNET = "internet", _("Internet")
    REPAIR = "repair", _("Repair")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class Source(models.TextChoices):
    BOT = "bot", _("Telegram bot")
    API = "api", _("web or API")
    PHONE = "phone", _("phone call")
    INSPECTION = "inspection", _("inspector's round")
    ALERT = "alert", _("external alert")


class Actor(models.TextChoices):
    """Who makes a move, as the state machine sees it (the person's role in this request, not their account)."""

    APPLICANT = "applicant", _("applicant")
    EXECUTOR = "executor", _("executor")
    MANAGER = "manager", _("manager")
    SYSTEM = "system", _("system")


FINAL = frozenset({Status.ACCEPTED, Status.CANCELLED})
OPEN = frozenset(set(Status) - FINAL)
# the work is in an executor's hands: what counts as their load, and when they can be replaced
IN_HANDS = frozenset(
    {Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MATERIALS, Status.CLARIFICATION, Status.RETURNED}
)

A, E, M, S = Actor.APPLICANT, Actor.EXECUTOR, Actor.MANAGER, Actor.SYSTEM
MOVES: dict[tuple[str, str], frozenset[str]] = {
    # assignment: a manager, auto-dispatch, or an on-shift executor claiming from the pool
    (Status.NEW, Status.ASSIGNED): frozenset({M, S, E}),
    (Status.ASSIGNED, Status.IN_PROGRESS): frozenset({E}),
    (Status.IN_PROGRESS, Status.WAITING_MATERIALS): frozenset({E, M}),
    (Status.WAITING_MATERIALS, Status.IN_PROGRESS): frozenset({E, M}),
    (Status.IN_PROGRESS, Status.COMPLETED): frozenset({E}),
    # the manager checks the work, or sends it back to work
    (Status.COMPLETED, Status.CONFIRMED): frozenset({M, S}),
    (Status.COMPLETED, Status.IN_PROGRESS): frozenset({M}),
    # the applicant accepts (or the system after N days, or a manager on their behalf) or returns the work
    (Status.CONFIRMED, Status.ACCEPTED): frozenset({A, S, M}),
    (Status.CONFIRMED, Status.RETURNED): frozenset({A}),
    (Status.RETURNED, Status.IN_PROGRESS): frozenset({E, M}),
    # a manager may force acceptance (with a comment) of any open request that work was done on
    (Status.COMPLETED, Status.ACCEPTED): frozenset({M}),
    (Status.RETURNED, Status.ACCEPTED): frozenset({M}),
}
# a manager asks the applicant a question from any open status; the answer returns the request where it was
for _status in OPEN - {Status.CLARIFICATION}:
    MOVES[(_status, Status.CLARIFICATION)] = frozenset({M})
# cancelling: a manager from any open status, the applicant only while new or assigned
for _status in OPEN:
    MOVES[(_status, Status.CANCELLED)] = frozenset({M, A} if _status in {Status.NEW, Status.ASSIGNED} else {M})
# leaving clarification goes back to the status before it (checked by the service), by the applicant's answer
RETURN_FROM_CLARIFICATION = frozenset({A, M})
# moves whose reason is mandatory
NEEDS_REASON = frozenset(
    {
        (Status.CONFIRMED, Status.RETURNED),
        (Status.COMPLETED, Status.IN_PROGRESS),
        (Status.COMPLETED, Status.ACCEPTED),
        (Status.RETURNED, Status.ACCEPTED),
    }
    | {(status, Status.CLARIFICATION) for status in OPEN}
)


def allowed_moves(status: str, actor: str, *, before_clarification: str | None = None) -> list[str]:
    """The statuses ``actor`` may move a request in ``status`` to, sorted."""
    targets = {to for (frm, to), actors in MOVES.items() if frm == status and actor in actors}
    if status == Status.CLARIFICATION and before_clarification and actor in RETURN_FROM_CLARIFICATION:
        targets.add(before_clarification)
    return sorted(targets)
