"""Read queries of `users`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError
from ukbot.users.models import (
    ADDRESS_FIELDS,
    Apartment,
    ApartmentLink,
    ApartmentLinkStatus,
    Building,
    Entrance,
    Invitation,
    Profile,
    RoleGrant,
    Specialization,
    VerificationApplication,
    VerificationStatus,
    Yard,
)
from ukbot.users.roles import ranked

T = TypeVar("T")


def profile_get(*, account_id: int) -> Profile | None:
    """Return the profile of ``account_id``, or None when the account has none."""
    return Profile.objects.filter(account_id=account_id).first()


def profile_roles(*, account_id: int) -> list[str]:
    """Return the roles granted to ``account_id``, sorted by name."""
    return sorted(RoleGrant.objects.filter(profile_id=account_id).values_list("role", flat=True))


def profile_roles_ranked(*, account_id: int) -> list[str]:
    """Return the roles granted to ``account_id``, most privileged first."""
    return ranked(profile_roles(account_id=account_id))


def profile_specializations(*, account_id: int) -> dict[str, int]:
    """Return ``{specialization key: level}`` of ``account_id``."""
    return dict(Specialization.objects.filter(profile_id=account_id).values_list("key", "level"))


def profile_list(
    *,
    role: str | None = None,
    status: str | None = None,
    search: str = "",
    specialization: str | None = None,
    verification: str | None = None,
    building_id: int | None = None,
) -> QuerySet[Profile]:
    """Return profiles, optionally only those holding ``role``, in ``status``, of a ``specialization``, with a
    verification application in state ``verification``, living (approved link) in ``building_id``, or matching
    ``search`` (name/phone)."""
    profiles = Profile.objects.all()
    if role:
        profiles = profiles.filter(role_grants__role=role)
    if status:
        profiles = profiles.filter(status=status)
    if specialization:
        profiles = profiles.filter(specializations__key=specialization)
    if verification:
        applicants = VerificationApplication.objects.filter(status=verification).values("account_id")
        profiles = profiles.filter(account_id__in=applicants)
    if building_id is not None:
        profiles = profiles.filter(
            apartment_links__status="approved", apartment_links__apartment__entrance__building_id=building_id
        )
    for word in search.split():
        profiles = profiles.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(phone__contains=word)
        )
    return profiles.distinct()


def building_list() -> QuerySet[Building]:
    """Return every building, by id."""
    return Building.objects.order_by("pk")


def building_address_in(building: Building, *, language: str | None) -> str:
    """Return the building's address as readers of ``language`` write it: its version in that language, else the
    company's (``address``), which is also what None reads (decision 0020)."""
    code = (language or settings.LANGUAGE_CODE).partition("-")[0]
    field = ADDRESS_FIELDS.get(code) if code != settings.LANGUAGE_CODE else None
    return (getattr(building, field) if field else "") or building.address


# --- the place tree, level by level (what a resident picks their apartment from) -------------------------------


def yard_list() -> QuerySet[Yard]:
    """Return every yard, by name."""
    return Yard.objects.order_by("name", "pk")


def buildings_of_yard(*, yard_id: int) -> QuerySet[Building]:
    """Return the buildings of a yard, by address."""
    return Building.objects.filter(yard_id=yard_id).order_by("address", "pk")


def entrances_of_building(*, building_id: int) -> QuerySet[Entrance]:
    """Return the entrances of a building that have apartments, by number."""
    return Entrance.objects.filter(building_id=building_id, apartments__isnull=False).distinct().order_by("number")


def apartments_of_entrance(*, entrance_id: int) -> list[Apartment]:
    """Return the apartments of an entrance in natural order of their numbers (2 before 10, 12 before 12a)."""
    return sorted(Apartment.objects.filter(entrance_id=entrance_id), key=lambda row: _natural(row.number))


def _natural(number: str) -> tuple[int, str]:
    leading = re.match(r"\d+", number)
    return (int(leading.group()) if leading else 10**9, number)


def invitation_list() -> QuerySet[Invitation]:
    """Return every invitation, newest first."""
    return Invitation.objects.order_by("-pk")


@dataclass(frozen=True)
class InvitationOffer:
    """What an invitation grants: a role, and for an executor the specialization."""

    role: str
    specialization: str


def invitation_code_hash(code: str) -> tuple[str, str]:
    """Return an invitation code as people type it, read the one way (without the ``inv_`` prefix, dashes and
    spaces, in upper case), and the SHA-256 under which it is stored (only the hash is kept)."""
    code = str(code).strip().upper().replace("-", "").replace(" ", "").removeprefix("INV_")
    return code, hashlib.sha256(code.encode()).hexdigest()


def invitation_check_usable(invitation: Invitation | None) -> Invitation:
    """Return the invitation if it can still be used.

    :raises AppError: INVITATION_INVALID (no such invitation), INVITATION_USED (used or withdrawn),
        INVITATION_EXPIRED.
    """
    if invitation is None:
        raise AppError("INVITATION_INVALID", _("This invitation code is not valid. Check it and try again."))
    if invitation.used_at is not None or invitation.revoked_at is not None:
        raise AppError("INVITATION_USED", _("This invitation was already used or withdrawn."))
    if invitation.expires_at <= timezone.now():
        raise AppError("INVITATION_EXPIRED", _("This invitation has expired. Ask for a new one."))
    return invitation


def invitation_offer(*, code: str) -> InvitationOffer:
    """Return what the invitation ``code`` grants while it can still be used, without using it.

    :raises AppError: INVITATION_INVALID, INVITATION_USED, INVITATION_EXPIRED, as ``invitation_accept`` would.
    """
    _code, code_hash = invitation_code_hash(code)
    invitation = invitation_check_usable(Invitation.objects.filter(code_hash=code_hash).first())
    return InvitationOffer(role=invitation.role, specialization=invitation.specialization)


def verification_list() -> QuerySet[VerificationApplication]:
    """Return every verification application, oldest first."""
    return VerificationApplication.objects.order_by("submitted_at", "pk")


def apartment_link_list(
    *,
    account_id: int | None = None,
    status: str | None = None,
    building_id: int | None = None,
    yard_id: int | None = None,
) -> QuerySet[ApartmentLink]:
    """Return apartment links, oldest first, optionally of one person, in one status, building or yard."""
    links = ApartmentLink.objects.select_related("profile", "apartment__entrance__building")
    if account_id is not None:
        links = links.filter(profile_id=account_id)
    if status:
        links = links.filter(status=status)
    if building_id is not None:
        links = links.filter(apartment__entrance__building_id=building_id)
    if yard_id is not None:
        links = links.filter(apartment__entrance__building__yard_id=yard_id)
    return links.order_by("created_at", "pk")


def apartment_co_resident_ids(*, apartment_id: int) -> list[int]:
    """Return the account ids with an approved link to ``apartment_id``, ascending."""
    return list(
        ApartmentLink.objects.filter(apartment_id=apartment_id, status=ApartmentLinkStatus.APPROVED)
        .order_by("profile_id")
        .values_list("profile_id", flat=True)
    )


# --- what the bot shows: frozen dataclasses, so an adapter never refines a queryset or holds a model instance -----


@dataclass(frozen=True)
class ProfileView:
    """A person's name and phone as they gave them."""

    account_id: int
    first_name: str
    last_name: str
    phone: str


def profile_view(*, account_id: int) -> ProfileView | None:
    """Return the name and phone of ``account_id``, or None when the account has no profile."""
    row = Profile.objects.filter(account_id=account_id).values_list("first_name", "last_name", "phone").first()
    return ProfileView(account_id, *row) if row else None


def phone_holder(*, phone: str) -> int | None:
    """Return the account whose profile has exactly ``phone``, or None (a phone belongs to one profile at most)."""
    return Profile.objects.filter(phone=phone).exclude(phone="").values_list("account_id", flat=True).first()


@dataclass(frozen=True)
class PlaceChoice:
    """A place to pick: a yard (its name), a building (its address), an entrance or an apartment (its number)."""

    id: int
    name: str


PlaceLevel = Literal["yard", "building", "entrance", "apartment"]


def place_choices(*, level: PlaceLevel, parent: int = 0, language: str | None = None) -> tuple[PlaceChoice, ...]:
    """Return the choices of one level of the place tree under ``parent`` (a yard's buildings, a building's
    entrances that have apartments, an entrance's apartments; every yard for ``yard``), in reading order; buildings
    by their address in ``language`` (the company's when None)."""
    if level == "yard":
        return tuple(PlaceChoice(row.pk, row.name) for row in yard_list())
    if level == "building":
        return tuple(
            PlaceChoice(row.pk, building_address_in(row, language=language))
            for row in buildings_of_yard(yard_id=parent)
        )
    if level == "entrance":
        return tuple(PlaceChoice(row.pk, str(row.number)) for row in entrances_of_building(building_id=parent))
    return tuple(PlaceChoice(row.pk, row.number) for row in apartments_of_entrance(entrance_id=parent))


@dataclass(frozen=True)
class BuildingPage:
    """A page of buildings (id and address each) and how many there are in all."""

    buildings: tuple[PlaceChoice, ...]
    total: int


def building_page(*, offset: int = 0, limit: int = 8, language: str | None = None) -> BuildingPage:
    """Return a page of every building, by id, with its address in ``language`` (the company's when None)."""
    buildings = building_list()
    total = buildings.count()
    rows = buildings.only("address", *ADDRESS_FIELDS.values())[offset : offset + limit] if total else []
    return BuildingPage(
        buildings=tuple(PlaceChoice(row.pk, building_address_in(row, language=language)) for row in rows),
        total=total,
    )


def building_address(*, building_id: int, language: str | None = None) -> str | None:
    """Return the address of the building in ``language`` (the company's when None), or None when there is no
    such building."""
    building = Building.objects.filter(pk=building_id).only("address", *ADDRESS_FIELDS.values()).first()
    return building_address_in(building, language=language) if building is not None else None


@dataclass(frozen=True)
class Queued(Generic[T]):
    """One item of a moderation queue, where it stands in it (from 0) and how long the queue is."""

    item: T
    position: int
    total: int


def _queued(rows: QuerySet, position: int, view) -> Queued | None:
    total = rows.count()
    if not total:
        return None
    position %= total  # past the end wraps round to the oldest
    return Queued(item=view(rows[position]), position=position, total=total)


@dataclass(frozen=True)
class ApartmentLinkView:
    """An apartment link as its resident and its reviewer read it: who, which apartment, how, and where it stands."""

    link_id: int
    account_id: int
    first_name: str
    last_name: str
    phone: str
    building_address: str
    apartment_number: str
    relation: str
    status: str
    reason: str
    primary: bool
    document_media_id: str | None
    created_at: datetime


def _link_view(link: ApartmentLink, language: str | None = None) -> ApartmentLinkView:
    profile, apartment = link.profile, link.apartment
    return ApartmentLinkView(
        link_id=link.pk,
        account_id=profile.account_id,
        first_name=profile.first_name,
        last_name=profile.last_name,
        phone=profile.phone,
        building_address=building_address_in(apartment.entrance.building, language=language),
        apartment_number=apartment.number,
        relation=link.relation,
        status=link.status,
        reason=link.reason,
        primary=link.is_primary,
        document_media_id=str(link.document_media_id) if link.document_media_id else None,
        created_at=link.created_at,
    )


def apartment_links_of(*, account_id: int, language: str | None = None) -> tuple[ApartmentLinkView, ...]:
    """Return the person's apartment links in every status, oldest first, with building addresses in ``language``
    (the company's when None)."""
    return tuple(_link_view(link, language) for link in apartment_link_list(account_id=account_id))


def apartment_link_pending_at(*, position: int, language: str | None = None) -> Queued[ApartmentLinkView] | None:
    """Return the pending apartment link at ``position`` of the queue (oldest first; past the end wraps round), or
    None when none waits; its building's address in ``language`` (the company's when None)."""
    return _queued(
        apartment_link_list(status=ApartmentLinkStatus.PENDING), position, lambda link: _link_view(link, language)
    )


@dataclass(frozen=True)
class VerificationView:
    """An executor's verification application as its author and its reviewer read it."""

    application_id: int
    account_id: int
    specialization: str
    status: str
    reason: str
    comment: str
    documents: tuple[str, ...]  # media ids
    submitted_at: datetime


def _verification_view(application: VerificationApplication) -> VerificationView:
    return VerificationView(
        application_id=application.pk,
        account_id=application.account_id,
        specialization=application.specialization,
        status=application.status,
        reason=application.reason,
        comment=application.comment,
        documents=tuple(str(media_id) for media_id in application.documents),
        submitted_at=application.submitted_at,
    )


def verification_latest(*, account_id: int) -> VerificationView | None:
    """Return the person's newest verification application, or None when they have not applied."""
    application = VerificationApplication.objects.filter(account_id=account_id).order_by("-submitted_at", "-pk").first()
    return _verification_view(application) if application else None


def verification_pending_at(*, position: int) -> Queued[VerificationView] | None:
    """Return the pending verification application at ``position`` of the queue (oldest first, wrapping round), or
    None when none waits."""
    pending = verification_list().filter(status=VerificationStatus.PENDING)
    return _queued(pending, position, _verification_view)
