"""Who hears of what: `notifications`' subscriptions to other apps' events (decisions 0012 and 0021).

- The applicant hears of their request's moves by what each means to them (:func:`applicant_kind`): an executor
  assigned, work started, reported done or sent back are *progress*, which they may turn off
  (``Preference.progress_messages``); a question for them, work to accept or return, a cancellation and a request
  closed on their behalf always come; internal moves (materials, an answered question) are not told. Public
  comments reach them; an internal comment never does.
- The executor hears of assignments (and of losing one), returns, cancellations and materials decisions.
- Managers hear of completed work waiting for their check, SLA breaches, materials requests, new verification
  applications and apartment link requests.
- Nobody hears of their own action. On re-assignment the removed and the new executor are told; the applicant is
  told only if they follow every change (``Preference.follow_all``) and hear progress.

Each handler runs at least once; the dedupe key (event id, person, channel) makes a second run queue nothing.
Messages about a critical request are urgent: they skip quiet hours. Handlers read the publisher's payload class
(``event.payload``); events nobody publishes yet (``assignment.failed``, ``shift.created``, ``shift.transferred``)
get a handler together with their publisher, though their templates ship already.
"""

from __future__ import annotations

from collections.abc import Iterable

from ukbot.auth.events import AUTH_MFA_ENABLED, MfaEnabled
from ukbot.core.events import Event, subscribe
from ukbot.notifications import defaults, services
from ukbot.notifications.models import Preference
from ukbot.notifications.services import privacy
from ukbot.requests import public as requests_public
from ukbot.requests.events import (
    REQUEST_ASSIGNED,
    REQUEST_COMMENT_ADDED,
    REQUEST_COMPLETED,
    REQUEST_CREATED,
    REQUEST_MATERIALS_DECIDED,
    REQUEST_MATERIALS_REQUESTED,
    REQUEST_SLA_BREACHED,
    REQUEST_STATUS_CHANGED,
    CommentAdded,
    MaterialDecided,
    MaterialsRequested,
    RequestAssigned,
    RequestCompleted,
    RequestCreated,
    RequestStatusChanged,
    SlaBreached,
    Status,
    Urgency,
)
from ukbot.users import public as users_public
from ukbot.users.events import (
    USER_APARTMENT_LINK_DECIDED,
    USER_APARTMENT_LINK_REQUESTED,
    USER_FORGOTTEN,
    USER_VERIFICATION_REJECTED,
    USER_VERIFICATION_SUBMITTED,
    USER_VERIFIED,
    ApartmentLinkDecided,
    ApartmentLinkRequested,
    UserForgotten,
    UserVerified,
    VerificationRejected,
    VerificationSubmitted,
)

CRITICAL = Urgency.CRITICAL
SYSTEM = "system"  # the actor_kind of a move nobody made by hand (auto-dispatch, managers not checking work)


def _name(account_id: int | None) -> str:
    if account_id is None:
        return ""
    return users_public.person_names(account_ids=[account_id])[account_id]


def _request_variables(brief: requests_public.RequestBrief, language: str, **extra) -> dict:
    return {
        "number": brief.number,
        "category": requests_public.label(field="category", value=brief.category, language=language),
        "urgency": requests_public.label(field="urgency", value=brief.urgency, language=language),
        "status": requests_public.label(field="status", value=brief.status, language=language),
        "address": users_public.place_render(
            language=language,
            building_id=brief.building_id,
            apartment_id=brief.apartment_id,
            entrance=brief.entrance,
            floor=brief.floor,
            snapshot=brief.address,
        ),
        "description": brief.description,
        **extra,
    }


def _tell(
    recipients: Iterable[int | None],
    *,
    kind: str,
    event: Event,
    variables,
    actor_id: int | None = None,
    urgent: bool = False,
) -> None:
    """Queue ``kind`` to each recipient once, leaving out nobody-ids, whoever caused the event and people who turned
    that kind's group off."""
    for account_id in dict.fromkeys(recipients):
        if account_id is None or account_id == actor_id:
            continue
        if not services.hears(account_id=account_id, kind=kind):
            continue
        services.notify(
            account_id=account_id,
            kind=kind,
            variables=(lambda language, _id=account_id: variables(language, _id)) if callable(variables) else variables,
            dedupe=str(event.id),
            subject=event.subject,
            urgent=urgent,
        )


def _follows_all(account_id: int) -> bool:
    return Preference.objects.filter(account_id=account_id, follow_all=True).exists()


# --- requests ----------------------------------------------------------------------------------------------------


@subscribe(REQUEST_CREATED)
def request_created(event: Event) -> None:
    """Tell the applicant their request was filed, when somebody else (a manager on the phone) filed it."""
    created: RequestCreated = event.payload
    brief = requests_public.request_brief(number=created.number)
    if brief is None:
        return
    actor = brief.created_by or brief.applicant_id
    _tell(
        [brief.applicant_id],
        kind="request.created",
        event=event,
        variables=lambda language, _id: _request_variables(brief, language),
        actor_id=actor,
        urgent=brief.urgency == CRITICAL,
    )


def applicant_kind(*, old: str, new: str, actor_kind: str) -> str | None:
    """What the applicant is told of their request moving from ``old`` to ``new`` (None: nothing, it is noise to
    them). The table of decision 0021; completion is told by ``request.completed``."""
    if (old, new) == (Status.NEW, Status.ASSIGNED):
        return "request.executor_assigned"
    if new == Status.IN_PROGRESS and old in (Status.ASSIGNED, Status.RETURNED):
        return "request.work_started"
    if (old, new) == (Status.COMPLETED, Status.IN_PROGRESS):
        return "request.sent_back"
    if new == Status.CLARIFICATION:
        return "request.question"
    if (old, new) == (Status.COMPLETED, Status.CONFIRMED):
        # nobody checked the work when the system confirmed it (managers do not check): say so, not "checked"
        return "request.work_done" if actor_kind == SYSTEM else "request.confirmed"
    if new == Status.CANCELLED:
        return "request.cancelled_by_staff"
    if new == Status.ACCEPTED and old != Status.CONFIRMED:
        return "request.status_changed"  # closed by a manager on their behalf, before they were asked
    return None


@subscribe(REQUEST_STATUS_CHANGED)
def request_status_changed(event: Event) -> None:
    """Tell the applicant what the move means to them (:func:`applicant_kind`); the executor of a return or a
    cancellation."""
    changed: RequestStatusChanged = event.payload
    brief = requests_public.request_brief(number=changed.number)
    if brief is None:
        return
    old, new, actor, reason = changed.old_status, changed.new_status, changed.actor_id, changed.reason
    urgent = brief.urgency == CRITICAL

    def variables(language: str, _id: int) -> dict:
        return _request_variables(
            brief,
            language,
            status=requests_public.label(field="status", value=new, language=language),
            old_status=requests_public.label(field="status", value=old, language=language),
            reason=reason,
            question=reason,
            executor=_name(brief.executor_id),
        )

    kind = applicant_kind(old=old, new=new, actor_kind=changed.actor_kind)
    if kind is not None:
        _tell([brief.applicant_id], kind=kind, event=event, variables=variables, actor_id=actor, urgent=urgent)
    executor_kind = {
        (Status.CONFIRMED, Status.RETURNED): "request.returned",
        (Status.COMPLETED, Status.IN_PROGRESS): "request.returned",
    }.get((old, new), "request.cancelled" if new == Status.CANCELLED else None)
    if executor_kind and brief.executor_id is not None:
        _tell([brief.executor_id], kind=executor_kind, event=event, variables=variables, actor_id=actor, urgent=urgent)


@subscribe(REQUEST_ASSIGNED)
def request_assigned(event: Event) -> None:
    """Tell the new executor (unless they claimed it), the removed one, and a following applicant of a change."""
    assigned: RequestAssigned = event.payload
    brief = requests_public.request_brief(number=assigned.number)
    if brief is None:
        return
    executor_id, previous_id, kind = assigned.executor_id, assigned.previous_executor_id, assigned.assignment_type
    urgent = brief.urgency == CRITICAL

    def variables(language: str, _id: int) -> dict:
        return _request_variables(brief, language, executor=_name(executor_id))

    if kind != "claim":  # an executor who claimed from the pool did it themselves
        _tell([executor_id], kind="request.assigned", event=event, variables=variables, urgent=urgent)
    if previous_id is not None and previous_id != executor_id:
        _tell([previous_id], kind="request.unassigned", event=event, variables=variables, urgent=urgent)
        if _follows_all(brief.applicant_id):
            _tell([brief.applicant_id], kind="request.reassigned", event=event, variables=variables, urgent=urgent)


@subscribe(REQUEST_COMPLETED)
def request_completed(event: Event) -> None:
    """Tell the managers completed work waits for their check, and the applicant the executor reports it done.

    Only while the request is still ``completed``: when managers do not check work, the same transaction confirmed
    it (the applicant hears of that, with Accept and Return); when a manager checked it meanwhile, nothing waits.
    """
    completed: RequestCompleted = event.payload
    brief = requests_public.request_brief(number=completed.number)
    if brief is None or brief.status != Status.COMPLETED:
        return
    executor_id = completed.executor_id

    def variables(language: str, _id: int) -> dict:
        return _request_variables(brief, language, executor=_name(executor_id) or "—")

    urgent = brief.urgency == CRITICAL
    _tell(
        users_public.managers(),
        kind="request.awaiting_check",
        event=event,
        variables=variables,
        actor_id=executor_id,
        urgent=urgent,
    )
    _tell(
        [brief.applicant_id],
        kind="request.completed",
        event=event,
        variables=variables,
        actor_id=executor_id,
        urgent=urgent,
    )


@subscribe(REQUEST_COMMENT_ADDED)
def request_comment_added(event: Event) -> None:
    """Tell the applicant of a public comment by somebody else; an internal comment reaches no applicant."""
    added: CommentAdded = event.payload
    if added.comment_type != "public":
        return
    comment = requests_public.comment_brief(comment_id=added.comment_id)
    brief = requests_public.request_brief(number=added.number)
    if comment is None or comment.internal or brief is None:
        return
    _tell(
        [brief.applicant_id],
        kind="request.comment_added",
        event=event,
        variables=lambda language, _id: _request_variables(
            brief, language, author=_name(comment.author_id), comment=comment.text
        ),
        actor_id=comment.author_id,
    )


@subscribe(REQUEST_MATERIALS_REQUESTED)
def request_materials_requested(event: Event) -> None:
    """Tell the managers what the executor needs (not the manager who asked on their behalf)."""
    requested: MaterialsRequested = event.payload
    brief = requests_public.request_brief(number=requested.number)
    lines = requested.materials_list
    if brief is None or not lines:
        return
    first = requests_public.material_brief(material_id=lines[0].material_id)
    actor = first.requested_by if first else requested.executor_id
    materials = "\n".join(f"• {line.item} × {line.quantity} {line.unit}" for line in lines)
    _tell(
        users_public.managers(),
        kind="request.materials_requested",
        event=event,
        variables=lambda language, _id: _request_variables(brief, language, executor=_name(actor), materials=materials),
        actor_id=actor,
        urgent=brief.urgency == CRITICAL,
    )


@subscribe(REQUEST_MATERIALS_DECIDED)
def request_materials_decided(event: Event) -> None:
    """Tell the executor a manager approved, issued or rejected a line of materials."""
    decided: MaterialDecided = event.payload
    brief = requests_public.request_brief(number=decided.number)
    if brief is None:
        return
    _tell(
        [decided.executor_id],
        kind="request.materials_decided",
        event=event,
        variables=lambda language, _id: _request_variables(
            brief,
            language,
            item=decided.item,
            decision=requests_public.label(field="material_status", value=decided.status, language=language),
            reason=decided.reason,
        ),
        actor_id=decided.decided_by,
    )


@subscribe(REQUEST_SLA_BREACHED)
def request_sla_breached(event: Event) -> None:
    """Tell the managers a request missed its reaction or resolution deadline."""
    breached: SlaBreached = event.payload
    brief = requests_public.request_brief(number=breached.number)
    if brief is None:
        return
    _tell(
        users_public.managers(),
        kind="request.sla_breached",
        event=event,
        variables=lambda language, account_id: _request_variables(
            brief,
            language,
            status=requests_public.label(field="status", value=breached.status, language=language),
            kind=defaults.SLA_KINDS.get(language, defaults.SLA_KINDS["ru"]).get(breached.kind, breached.kind),
            deadline=services.local_time(breached.deadline, account_id=account_id),
            executor=_name(breached.executor_id) or "—",
        ),
        urgent=breached.urgency == CRITICAL,
    )


# --- people ------------------------------------------------------------------------------------------------------


def _specialization(key: str, language: str) -> str:
    return users_public.label(field="specialization", value=key, language=language)


@subscribe(USER_VERIFIED)
def user_verified(event: Event) -> None:
    """Tell the person their verification application was approved."""
    verified: UserVerified = event.payload
    _tell(
        [verified.account_id],
        kind="user.verified",
        event=event,
        variables=lambda language, _id: {
            "name": _name(verified.account_id),
            "specialization": _specialization(verified.specialization, language),
        },
        actor_id=verified.reviewed_by,
    )


@subscribe(USER_VERIFICATION_REJECTED)
def user_verification_rejected(event: Event) -> None:
    """Tell the person their verification application was rejected, and why."""
    rejected: VerificationRejected = event.payload
    application = users_public.verification_brief(application_id=rejected.application_id)
    _tell(
        [rejected.account_id],
        kind="user.verification_rejected",
        event=event,
        variables=lambda language, _id: {
            "name": _name(rejected.account_id),
            "specialization": _specialization(rejected.specialization, language),
            "reason": application.reason if application else "",
        },
        actor_id=rejected.reviewed_by,
    )


@subscribe(USER_VERIFICATION_SUBMITTED)
def user_verification_submitted(event: Event) -> None:
    """Tell the managers a person applied to be verified as an executor."""
    submitted: VerificationSubmitted = event.payload
    _tell(
        users_public.managers(),
        kind="user.verification_submitted",
        event=event,
        variables=lambda language, _id: {
            "name": _name(submitted.account_id),
            "specialization": _specialization(submitted.specialization, language),
        },
        actor_id=submitted.account_id,
    )


def _link_variables(link: users_public.ApartmentLinkBrief, language: str) -> dict:
    return {
        "name": _name(link.account_id),
        "apartment": link.apartment_number,
        "address": users_public.place_render(language=language, building_id=link.building_id),
        "relation": users_public.label(field="relation", value=link.relation, language=language),
        "reason": link.reason,
    }


@subscribe(USER_APARTMENT_LINK_REQUESTED)
def user_apartment_link_requested(event: Event) -> None:
    """Tell the managers a resident asked to be linked to an apartment."""
    requested: ApartmentLinkRequested = event.payload
    link = users_public.apartment_link_brief(link_id=requested.link_id)
    if link is None:
        return
    _tell(
        users_public.managers(),
        kind="user.apartment_link_requested",
        event=event,
        variables=lambda language, _id: _link_variables(link, language),
        actor_id=link.account_id,
    )


@subscribe(USER_APARTMENT_LINK_DECIDED)
def user_apartment_link_decided(event: Event) -> None:
    """Tell the resident their apartment link was approved or rejected (with the reason)."""
    decided: ApartmentLinkDecided = event.payload
    link = users_public.apartment_link_brief(link_id=decided.link_id)
    if link is None or decided.status not in ("approved", "rejected"):
        return
    _tell(
        [link.account_id],
        kind=f"user.apartment_link_{decided.status}",
        event=event,
        variables=lambda language, _id: _link_variables(link, language),
        actor_id=decided.reviewed_by,
    )


# --- auth --------------------------------------------------------------------------------------------------------


@subscribe(AUTH_MFA_ENABLED)
def auth_mfa_enabled(event: Event) -> None:
    """Tell the person two-step sign-in was turned on (and their other devices signed out), quiet hours or not: if
    it was not them, they should hear now."""
    enabled: MfaEnabled = event.payload
    _tell([enabled.account_id], kind="auth.mfa_enabled", event=event, variables={}, urgent=True)


# --- forgetting --------------------------------------------------------------------------------------------------


@subscribe(USER_FORGOTTEN)
def forget_person(event: Event) -> None:
    """Blank the messages to and about a forgotten person and their addresses; safe to run twice."""
    forgotten: UserForgotten = event.payload
    involved = requests_public.involvement(account_id=forgotten.account_id)
    privacy.person_forget(
        account_id=forgotten.account_id, filed=involved.filed, worked=involved.worked, commented=involved.commented
    )
