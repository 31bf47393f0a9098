"""Read queries of `users`."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from ukbot.users.models import (
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
    Yard,
)
from ukbot.users.roles import ranked


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
