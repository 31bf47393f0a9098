"""Filing a request: its number, its details checked, its place, its deadlines, and the files sent with it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.db import insert_one
from ukbot.core.errors import ValidationFailedError
from ukbot.core.events import publish
from ukbot.requests import sla
from ukbot.requests.events import REQUEST_CREATED, RequestCreated
from ukbot.requests.models import HistoryAction, Request, StatusChange
from ukbot.requests.services.attachments import attach_by_kind
from ukbot.requests.services.common import MAX_DESCRIPTION
from ukbot.requests.statuses import OPEN, Actor, Category, Source, Status, Urgency
from ukbot.users import public as users_public

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_PHONE = re.compile(r"^\+?[0-9]{7,15}$")


_NEXT_OF_DAY = """
    INSERT INTO "requests"."day_counter" (day, last) VALUES (%s, 1)
    ON CONFLICT (day) DO UPDATE SET last = "requests"."day_counter".last + 1
    RETURNING last
"""
_NEXT_OF_DAY_AND_POLICY = f"""
    WITH counter AS ({_NEXT_OF_DAY})
    SELECT counter.last, policy.reaction_minutes, policy.resolution_minutes
    FROM counter LEFT JOIN "requests"."sla_policy" AS policy ON policy.urgency = %s
"""


def number_allocate(*, day: date, urgency: str) -> tuple[str, int, tuple[int, int] | None]:
    """Give out the next number of ``day`` (``YYMMDD-NNN``, four and more digits past 999) with its sequence, and
    read the SLA policy of ``urgency`` (its reaction and resolution minutes, None when the row is missing).

    One round trip: every creation needs both, and reading the policy fresh keeps an admin's edit effective on the
    next creation without a cache to invalidate. Runs in the caller's transaction: the upsert leaves the day's
    counter row locked until it commits, so concurrent creators get distinct, increasing numbers, and a creation
    that rolls back gives its number back.
    """
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_OF_DAY_AND_POLICY, [day, urgency])
        seq, reaction, resolution = cursor.fetchone()
    return f"{day:%y%m%d}-{seq:03d}", seq, (reaction, resolution) if reaction is not None else None


def fields_validate(
    *,
    category: str,
    urgency: str,
    source: str,
    description: str,
    contact_phone: str,
    visit_from: datetime | None,
    visit_to: datetime | None,
) -> dict[str, str]:
    """Check a request's details as at creation; return the cleaned description and phone.

    :raises ValidationFailedError: an unknown category, urgency or source; an empty or overlong description; a bad
        phone; a visit window that ends before it starts.
    """
    errors: dict[str, StrOrPromise] = {}
    if category not in Category.values:
        errors["category"] = _("Unknown category.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Unknown urgency.")
    if source not in Source.values:
        errors["source"] = _("Unknown source.")
    text = (description or "").strip()
    if not text:
        errors["description"] = _("Describe the problem.")
    elif len(text) > MAX_DESCRIPTION or "\x00" in text:
        errors["description"] = _("The description is at most 4000 characters of text.")
    phone = re.sub(r"[\s\-()]", "", contact_phone or "")
    if phone and not _PHONE.match(phone):
        errors["contact_phone"] = _("Enter a phone number such as +998901234567.")
    if visit_from and visit_to and visit_from >= visit_to:
        errors["visit_to"] = _("The visit window must end after it starts.")
    if errors:
        raise ValidationFailedError(details=errors)
    return {"description": text, "contact_phone": phone}


def request_create(
    *,
    applicant_id: int,
    category: str,
    description: str,
    urgency: str = Urgency.MEDIUM,
    source: str = Source.API,
    created_by: int | None = None,
    building_id: int | None = None,
    yard_id: int | None = None,
    apartment_id: int | None = None,
    entrance: str = "",
    floor: int | None = None,
    address: str = "",
    contact_phone: str = "",
    visit_from: datetime | None = None,
    visit_to: datetime | None = None,
    files: Sequence[tuple[uuid.UUID | str, str]] = (),
) -> Request:
    """Create a request with the next number of today (company time zone), with the ``files`` (media id and
    attachment kind: ``before`` or ``document``) its filer uploaded; publish ``request.created``.

    One transaction: a request whose files cannot be attached is not left behind.

    :raises ValidationFailedError: unknown category, urgency or source; empty or overlong description; a bad phone;
        a visit window that ends before it starts; a file that is not usable (see
        :func:`~ukbot.requests.services.attachments.attachments_add`).
    """
    clean = fields_validate(
        category=category,
        urgency=urgency,
        source=source,
        description=description,
        contact_phone=contact_phone,
        visit_from=visit_from,
        visit_to=visit_to,
    )
    place = _place(
        applicant_id=applicant_id,
        self_filed=created_by in (None, applicant_id) and source in (Source.BOT, Source.API),
        apartment_id=apartment_id,
        building_id=building_id,
    )
    if place is not None:
        building_id, yard_id, apartment_id = place.building_id, place.yard_id, place.apartment_id
        entrance = entrance or (str(place.entrance_number) if place.entrance_number else "")
        floor = floor if floor is not None else place.floor
        # the snapshot, in the company's language, for history and search; readers see the place in their own
        # language, rendered from the ids (decision 0020)
        address = address or place.snapshot
    with transaction.atomic():
        now = timezone.now()
        day = timezone.localdate(now)
        number, seq, minutes = number_allocate(day=day, urgency=urgency)
        reaction_deadline, resolution_deadline = sla.deadlines_from(urgency=urgency, minutes=minutes, created_at=now)
        request = Request(
            number=number,
            day=day,
            seq=seq,
            applicant_id=applicant_id,
            source=source,
            created_by=created_by,
            category=category,
            urgency=urgency,
            building_id=building_id,
            yard_id=yard_id,
            apartment_id=apartment_id,
            entrance=entrance,
            floor=floor,
            address=address[:300],
            description=clean["description"],
            contact_phone=clean["contact_phone"],
            visit_from=visit_from,
            visit_to=visit_to,
            created_at=now,
            reaction_deadline=reaction_deadline,
            resolution_deadline=resolution_deadline,
            duplicate_of=_duplicate_of(apartment_id=apartment_id, category=category, now=now),
        )
        # written without the ORM's per-call statement building: a creation is the hottest write there is
        insert_one(request)
        insert_one(
            StatusChange(
                request=request,
                actor_id=created_by or applicant_id,
                actor_kind="creator",
                action=HistoryAction.CREATED,
                to_status=Status.NEW,
            )
        )
        publish(
            REQUEST_CREATED,
            subject=number,
            data=RequestCreated(
                number=number,
                applicant_id=applicant_id,
                category=category,
                urgency=urgency,
                source=source,
                building_id=building_id,
                apartment_id=apartment_id,
            ),
        )
        if files:
            filer = created_by or applicant_id
            filer_kind = Actor.APPLICANT if filer == applicant_id else Actor.MANAGER
            attach_by_kind(request, files=files, actor_id=filer, actor_kind=filer_kind)
    return request


def _place(
    *, applicant_id: int, self_filed: bool, apartment_id: int | None, building_id: int | None
) -> users_public.Place | None:
    """Where the request is. Residents filing themselves name an apartment they are approved for or a building
    one of those is in (their primary apartment when they name none; a typed address with no ids is kept as typed);
    staff may name any apartment or building (decision 0022)."""
    if apartment_id is None and building_id is None:
        if not self_filed:
            return None
        homes = users_public.apartment_ids_of(account_id=applicant_id)
        return users_public.place_of(apartment_id=homes[0]) if homes else None
    place = users_public.place_of(apartment_id=apartment_id, building_id=building_id)
    field = "apartment_id" if apartment_id is not None else "building_id"
    if place is None:
        raise ValidationFailedError(details={field: _("No such place.")})
    if building_id is not None and place.building_id != building_id:
        raise ValidationFailedError(details={"building_id": _("The apartment is in another building.")})
    if (
        apartment_id is not None
        and self_filed
        and apartment_id not in users_public.apartment_ids_of(account_id=applicant_id)
    ):
        raise ValidationFailedError(details={"apartment_id": _("You are not linked to this apartment.")})
    if (
        apartment_id is None
        and self_filed
        and applicant_id not in users_public.residents_of_building(building_id=place.building_id)
    ):
        raise ValidationFailedError(details={"building_id": _("You are not linked to this building.")})
    return place


def _duplicate_of(*, apartment_id: int | None, category: str, now: datetime) -> Request | None:
    """The latest open request of the same apartment and category filed within the duplicate window."""
    if apartment_id is None:
        return None
    window = timedelta(hours=sla.settings_get().duplicate_window_hours)
    return (
        Request.objects.filter(
            apartment_id=apartment_id, category=category, status__in=OPEN, created_at__gte=now - window
        )
        .order_by("-created_at")
        .first()
    )
