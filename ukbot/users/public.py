"""The only functions other apps may call synchronously in `users`: keyword-only, returning frozen dataclasses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from ukbot.users import selectors, services
from ukbot.users import specializations as _specializations
from ukbot.users.models import (
    ADDRESS_FIELDS,
    Apartment,
    ApartmentLink,
    ApartmentLinkStatus,
    ApartmentRelation,
    Building,
    Profile,
    ProfileStatus,
    RoleGrant,
    Specialization,
    VerificationApplication,
)
from ukbot.users.roles import Role, scopes_for

NO_PROFILE = "none"
ROLES: tuple[str, ...] = tuple(Role.values)  # every role name, most privileged first


@dataclass(frozen=True)
class AccessProfile:
    """What `auth` puts in a token: the person's roles, the active one, its scopes, status and language.

    ``scopes`` are those of the *active* role only (see :mod:`ukbot.users.roles`): switching role changes them.
    ``status`` is ``pending``, ``approved`` or ``blocked``, or ``none`` for an account without a profile (then
    there are no roles and no scopes). Only ``blocked`` means "refuse access"; a new resident is ``pending``.
    """

    account_id: int
    roles: tuple[str, ...]
    active_role: str | None
    scopes: tuple[str, ...]
    status: str
    language: str


def _access(account_id: int, profile: Profile | None) -> AccessProfile:
    if profile is None:
        return AccessProfile(
            account_id=account_id, roles=(), active_role=None, scopes=(), status=NO_PROFILE, language="ru"
        )
    active_role = profile.active_role or None
    return AccessProfile(
        account_id=account_id,
        roles=tuple(selectors.profile_roles(account_id=account_id)),
        active_role=active_role,
        scopes=scopes_for(active_role),
        status=profile.status,
        language=profile.language,
    )


def access_profile(*, account_id: int) -> AccessProfile:
    """Return the roles, active role, scopes, status and language of an account (status ``none`` if no profile)."""
    return _access(account_id, selectors.profile_get(account_id=account_id))


def ensure_applicant(
    *, account_id: int, first_name: str = "", last_name: str = "", language: str = "ru"
) -> AccessProfile:
    """Give an account a profile with the applicant role unless it has a profile with roles; idempotent.

    Used for Telegram sign-up. Staff who already hold roles keep them and do not become applicants.

    :raises ValidationFailedError: for a bad account id, name or language.
    """
    profile = services.applicant_ensure(
        account_id=account_id, first_name=first_name, last_name=last_name, language=language
    )
    return _access(profile.account_id, profile)


def admin_role_ensure(*, account_id: int) -> AccessProfile:
    """Make the account an approved administrator of the service (a profile with the ``admin`` role, created if
    missing); for the deployment's superusers (decision 0027). Idempotent.

    :raises ValidationFailedError: for a bad account id.
    """
    return _access(account_id, services.admin_role_ensure(account_id=account_id))


def category_specialization(*, category: str) -> str:
    """Return the specialization key a request category needs (``plumbing`` → ``plumber``).

    :raises KeyError: for an unknown category.
    """
    return _specializations.category_specialization(category)


@dataclass(frozen=True)
class ApartmentRef:
    """An apartment a person is approved to live in, with where it is and how they are linked to it.

    ``relation`` is ``owner``, ``tenant`` or ``family``; ``primary`` marks the one they chose as their home.
    """

    apartment_id: int
    number: str
    entrance_number: int
    building_id: int
    building_address: str
    yard_id: int
    relation: str
    primary: bool


def apartments_of(*, account_id: int, language: str | None = None) -> tuple[ApartmentRef, ...]:
    """Return the apartments ``account_id`` has approved links to, primary first, then oldest link first, with
    building addresses in ``language`` (the company's when None)."""
    links = selectors.apartment_link_list(account_id=account_id, status="approved").order_by(
        "-is_primary", "created_at", "pk"
    )
    return tuple(
        ApartmentRef(
            apartment_id=link.apartment_id,
            number=link.apartment.number,
            entrance_number=link.apartment.entrance.number,
            building_id=link.apartment.entrance.building_id,
            building_address=selectors.building_address_in(link.apartment.entrance.building, language=language),
            yard_id=link.apartment.entrance.building.yard_id,
            relation=link.relation,
            primary=link.is_primary,
        )
        for link in links
    )


def _approved_apartment_ids_sql() -> str:
    link = ApartmentLink._meta
    column = {field.name: field.column for field in link.concrete_fields}
    return (
        f'SELECT "{column["apartment"]}" FROM "{link.db_table}" '
        f'WHERE "{column["profile"]}" = %s AND "{column["status"]}" = %s '
        f'ORDER BY "{column["is_primary"]}" DESC, "{column["created_at"]}", "{column["id"]}"'
    )


_APPROVED_APARTMENT_IDS = _approved_apartment_ids_sql()


def apartment_ids_of(*, account_id: int) -> tuple[int, ...]:
    """Return the ids of the apartments ``account_id`` has approved links to, primary first, then oldest link first
    (what :func:`apartments_of` lists, in one narrow query).

    Every request a resident makes asks this (who sees which requests, where a new one is), so the query is
    written out: the same query built through the ORM cost several times more than the database took to run it.
    ``test_apartment_ids_of_matches_the_orm_oracle`` keeps it equal to the same query through the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(_APPROVED_APARTMENT_IDS, [account_id, ApartmentLinkStatus.APPROVED])
        return tuple(row[0] for row in cursor.fetchall())


def co_residents(*, apartment_id: int) -> tuple[int, ...]:
    """Return the account ids with an approved link to ``apartment_id`` (who may see its requests), ascending."""
    return tuple(selectors.apartment_co_resident_ids(apartment_id=apartment_id))


def specializations_of(*, account_id: int) -> dict[str, int]:
    """Return the person's specializations and their levels (1–5), e.g. ``{"plumber": 4}``."""
    return dict(selectors.profile_specializations(account_id=account_id))


@dataclass(frozen=True)
class Place:
    """Where a request is: a building (with its yard and address), and optionally an apartment in it.

    ``snapshot`` is the address text a request keeps of it, in the company's language (:func:`place_snapshot`).
    """

    building_id: int
    yard_id: int
    building_address: str
    apartment_id: int | None = None
    apartment_number: str = ""
    entrance_number: int | None = None
    floor: int | None = None
    snapshot: str = ""


def place_of(
    *, apartment_id: int | None = None, building_id: int | None = None, language: str | None = None
) -> Place | None:
    """Return the place of an apartment (if given) or a building, with the building's address in ``language`` (the
    company's when None), or None when it does not exist."""
    if apartment_id is not None:
        apartment = Apartment.objects.select_related("entrance__building").filter(pk=apartment_id).first()
        if apartment is None:
            return None
        building = apartment.entrance.building
        return Place(
            building_id=building.pk,
            yard_id=building.yard_id,
            building_address=selectors.building_address_in(building, language=language),
            apartment_id=apartment.pk,
            apartment_number=apartment.number,
            entrance_number=apartment.entrance.number,
            floor=apartment.floor,
            snapshot=_snapshot(building.address, apartment.number),
        )
    building = Building.objects.filter(pk=building_id).first() if building_id is not None else None
    if building is None:
        return None
    return Place(
        building_id=building.pk,
        yard_id=building.yard_id,
        building_address=selectors.building_address_in(building, language=language),
        snapshot=_snapshot(building.address, ""),
    )


# --- a place as a person reads it (decision 0020) ------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRef:
    """Where something is, as another app keeps it: ids into the place tree, the entrance and floor as written, and
    the address text kept when it was filed (``snapshot``, in the company's language)."""

    building_id: int | None = None
    apartment_id: int | None = None
    entrance: str = ""
    floor: int | None = None
    snapshot: str = ""


def _apartment_label(number: str) -> str:
    return gettext("apt. %(number)s") % {"number": number}


def _snapshot(company_address: str, apartment_number: str) -> str:
    """The text a request keeps of a building and an apartment number: in the company's language, for history and
    search."""
    if not apartment_number:
        return company_address
    with translation.override(settings.LANGUAGE_CODE):
        return f"{company_address}, {_apartment_label(apartment_number)}"


def place_snapshot(*, building_id: int, apartment_number: str = "") -> str:
    """Return the address text a request keeps of building ``building_id`` and an apartment numbered
    ``apartment_number`` (one the place tree may not hold), in the company's language; "" for no such building."""
    address = Building.objects.filter(pk=building_id).values_list("address", flat=True).first()
    return _snapshot(address, apartment_number) if address is not None else ""


def _snapshot_number(snapshot: str, company_address: str) -> str | None:
    """The apartment number a snapshot written by :func:`_snapshot` names ("" for none), or None when the snapshot
    is not one (somebody typed it, or the building's address changed since)."""
    if snapshot in ("", company_address):
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        before, _marker, after = _apartment_label("\x00").partition("\x00")
    pattern = re.escape(f"{company_address}, {before}") + "(.+)" + re.escape(after)
    found = re.fullmatch(pattern, snapshot, flags=re.DOTALL)
    return found.group(1) if found else None


def places_render(*, places: Sequence[PlaceRef], language: str) -> tuple[str, ...]:
    """Return how each of ``places`` reads in ``language``, in their order: the building's address in that language
    (the company's when it has none), then the entrance, floor and apartment, labelled in that language.

    A place is read from its ids when its snapshot is empty or is the text the ids gave when it was filed; one with
    no building (or a deleted one), or whose snapshot was typed, reads as its snapshot. Two queries at most,
    however many places.
    """
    apartment_ids = {place.apartment_id for place in places if place.apartment_id is not None}
    apartments = (
        {row.pk: row for row in Apartment.objects.filter(pk__in=apartment_ids).select_related("entrance__building")}
        if apartment_ids
        else {}
    )
    buildings = {row.entrance.building_id: row.entrance.building for row in apartments.values()}
    missing = {place.building_id for place in places if place.building_id is not None} - set(buildings)
    if missing:
        buildings.update(
            (row.pk, row) for row in Building.objects.filter(pk__in=missing).only("address", *ADDRESS_FIELDS.values())
        )
    shown = []
    with translation.override(language):
        for place in places:
            building = buildings.get(place.building_id) if place.building_id is not None else None
            number = _snapshot_number(place.snapshot, building.address) if building is not None else None
            if building is None or number is None:
                shown.append(place.snapshot)
                continue
            apartment = apartments.get(place.apartment_id) if place.apartment_id is not None else None
            if apartment is not None and apartment.entrance.building_id == building.pk:
                number = apartment.number
            parts = [selectors.building_address_in(building, language=language)]
            if place.entrance:
                parts.append(gettext("entr. %(number)s") % {"number": place.entrance})
            if place.floor is not None:
                parts.append(gettext("fl. %(number)s") % {"number": place.floor})
            if number:
                parts.append(_apartment_label(number))
            shown.append(", ".join(parts))
    return tuple(shown)


def place_render(
    *,
    language: str,
    building_id: int | None = None,
    apartment_id: int | None = None,
    entrance: str = "",
    floor: int | None = None,
    snapshot: str = "",
) -> str:
    """Return how one place reads in ``language`` (:func:`places_render`)."""
    place = PlaceRef(
        building_id=building_id, apartment_id=apartment_id, entrance=entrance, floor=floor, snapshot=snapshot
    )
    return places_render(places=(place,), language=language)[0]


def person_names(*, account_ids: Iterable[int]) -> dict[int, str]:
    """Return a display name for each of ``account_ids``: the full name, or ``#id`` without a profile or a name."""
    wanted = {int(account_id) for account_id in account_ids}
    names = {account_id: f"#{account_id}" for account_id in wanted}
    for account_id, first, last in Profile.objects.filter(account_id__in=wanted).values_list(
        "account_id", "first_name", "last_name"
    ):
        names[account_id] = f"{first} {last}".strip() or names[account_id]
    return names


def building_labels(*, building_ids: Iterable[int]) -> dict[int, str]:
    """Return the address of each building in ``building_ids`` that exists (unknown ids are left out)."""
    return dict(Building.objects.filter(pk__in=set(building_ids)).values_list("pk", "address"))


@dataclass(frozen=True)
class ExecutorRef:
    """A verified executor who can be sent to work of a specialization, at their level in it (1–5).

    ``specialization`` is the key that qualifies them: the one asked for, or ``universal``.
    """

    account_id: int
    full_name: str
    level: int
    specialization: str


def verified_executors(*, specialization: str) -> tuple[ExecutorRef, ...]:
    """Return the approved people holding the executor role with ``specialization`` or ``universal``, by account id.

    Someone with both is listed once, at their level in ``specialization``.
    """
    keys = {specialization, _specializations.SpecializationKey.UNIVERSAL.value}
    rows = (
        Specialization.objects.filter(
            key__in=keys, profile__status=ProfileStatus.APPROVED, profile__role_grants__role=Role.EXECUTOR
        )
        .select_related("profile")
        .order_by("profile_id", "key")
    )
    found: dict[int, ExecutorRef] = {}
    for row in rows:
        if row.profile_id in found and row.key != specialization:
            continue  # the trade asked for wins over universal
        name = f"{row.profile.first_name} {row.profile.last_name}".strip() or f"#{row.profile_id}"
        found[row.profile_id] = ExecutorRef(
            account_id=row.profile_id, full_name=name, level=row.level, specialization=row.key
        )
    return tuple(found.values())


# --- for notifications -------------------------------------------------------------------------------------------


def profile_language(*, account_id: int) -> str:
    """Return the language the person reads (``ru``, ``uz`` or ``en``); the company's language without a profile."""
    language = Profile.objects.filter(account_id=account_id).values_list("language", flat=True).first()
    return language or settings.LANGUAGE_CODE


def people_with_role(*, role: str) -> tuple[int, ...]:
    """Return the account ids holding ``role`` (whether or not it is their active one), not blocked, ascending."""
    return tuple(
        RoleGrant.objects.filter(role=role)
        .exclude(profile__status=ProfileStatus.BLOCKED)
        .order_by("profile_id")
        .values_list("profile_id", flat=True)
    )


def managers() -> tuple[int, ...]:
    """Return the account ids of the managers (dispatchers) who are not blocked, ascending."""
    return people_with_role(role=Role.MANAGER)


def residents_of_building(*, building_id: int) -> tuple[int, ...]:
    """Return the account ids with an approved link to an apartment of ``building_id``, not blocked, ascending."""
    return tuple(
        ApartmentLink.objects.filter(status=ApartmentLinkStatus.APPROVED, apartment__entrance__building_id=building_id)
        .exclude(profile__status=ProfileStatus.BLOCKED)
        .order_by("profile_id")
        .values_list("profile_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class VerificationBrief:
    """A verification application as a notification tells of it: whose, which trade, its status and reason."""

    application_id: int
    account_id: int
    specialization: str
    status: str
    reason: str


def verification_brief(*, application_id: int) -> VerificationBrief | None:
    """Return the application ``application_id``, or None when there is no such application."""
    row = VerificationApplication.objects.filter(pk=application_id).first()
    if row is None:
        return None
    return VerificationBrief(
        application_id=row.pk,
        account_id=row.account_id,
        specialization=row.specialization,
        status=row.status,
        reason=row.reason,
    )


@dataclass(frozen=True)
class ApartmentLinkBrief:
    """An apartment link as a notification tells of it: whose, which apartment (address text), status, reason."""

    link_id: int
    account_id: int
    apartment_id: int
    apartment_number: str
    building_id: int
    building_address: str
    relation: str
    status: str
    reason: str


def apartment_link_brief(*, link_id: int, language: str | None = None) -> ApartmentLinkBrief | None:
    """Return the apartment link ``link_id`` with its building's address in ``language`` (the company's when None),
    or None when there is no such link."""
    link = ApartmentLink.objects.select_related("apartment__entrance__building").filter(pk=link_id).first()
    if link is None:
        return None
    return ApartmentLinkBrief(
        link_id=link.pk,
        account_id=link.profile_id,
        apartment_id=link.apartment_id,
        apartment_number=link.apartment.number,
        building_id=link.apartment.entrance.building_id,
        building_address=selectors.building_address_in(link.apartment.entrance.building, language=language),
        relation=link.relation,
        status=link.status,
        reason=link.reason,
    )


def label(*, field: str, value: str, language: str) -> str:
    """Return how ``value`` of ``field`` (specialization, relation, role) reads in ``language``.

    An unknown field or value comes back as it is.
    """
    choices = {
        "specialization": _specializations.SpecializationKey,
        "relation": ApartmentRelation,
        "role": Role,
    }.get(field)
    if choices is None or value not in choices.values:
        return value
    with translation.override(language):
        return str(choices(value).label)


# --- for assignment ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutorFacts:
    """What dispatch weighs of a person: whether they are a verified executor (the executor role and an approved
    profile), their name, and their specializations with levels (1–5)."""

    account_id: int
    full_name: str
    verified: bool
    levels: dict[str, int]


def executor_facts(*, account_ids: Iterable[int]) -> dict[int, ExecutorFacts]:
    """Return the facts of each of ``account_ids`` that has a profile (unknown ids are left out); three queries."""
    wanted = {int(account_id) for account_id in account_ids}
    profiles = Profile.objects.filter(account_id__in=wanted).values_list(
        "account_id", "first_name", "last_name", "status"
    )
    executors = set(
        RoleGrant.objects.filter(profile_id__in=wanted, role=Role.EXECUTOR).values_list("profile_id", flat=True)
    )
    levels: dict[int, dict[str, int]] = {}
    for account_id, key, level in Specialization.objects.filter(profile_id__in=wanted).values_list(
        "profile_id", "key", "level"
    ):
        levels.setdefault(account_id, {})[key] = level
    return {
        account_id: ExecutorFacts(
            account_id=account_id,
            full_name=f"{first} {last}".strip() or f"#{account_id}",
            verified=status == ProfileStatus.APPROVED and account_id in executors,
            levels=levels.get(account_id, {}),
        )
        for account_id, first, last, status in profiles
    }


def building_points(*, building_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
    """Return ``(latitude, longitude)`` of each of ``building_ids`` that exists and has coordinates."""
    rows = Building.objects.filter(pk__in=set(building_ids), latitude__isnull=False).values_list(
        "pk", "latitude", "longitude"
    )
    return {pk: (float(lat), float(lon)) for pk, lat, lon in rows}
