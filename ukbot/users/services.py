"""Write use-cases of `users`: profiles, roles, specializations and the place tree.

Every service is one transaction: it validates, writes, and publishes its events into the outbox in that same
transaction, so a refused call leaves nothing behind and no event. Services that change a person lock the
person's profile row first, which serialises concurrent changes to one person's roles.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, ErrorDetail, NotFoundError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.media import public as media_public
from ukbot.users.events import (
    USER_APARTMENT_LINK_DECIDED,
    USER_APARTMENT_LINK_REQUESTED,
    USER_CREATED,
    USER_PROFILE_UPDATED,
    USER_ROLE_CHANGED,
    ApartmentLinkDecided,
    ApartmentLinkRequested,
    UserCreated,
    UserProfileUpdated,
    UserRoleChanged,
)
from ukbot.users.models import (
    LIVE_LINK,
    Apartment,
    ApartmentLink,
    ApartmentLinkStatus,
    ApartmentRelation,
    Building,
    Entrance,
    Language,
    Profile,
    ProfileStatus,
    RoleGrant,
    Specialization,
    Yard,
)
from ukbot.users.roles import Role, ranked
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey

# Fields a profile update may change; status and the active role have services of their own.
PROFILE_UPDATABLE_FIELDS = ("first_name", "last_name", "phone", "language", "avatar_media_id", "bio", "settings")
_PHONE_DECORATION = re.compile(r"[\s\-()]")


# --- helpers ---------------------------------------------------------------------------------------------------


def _details(exc: DjangoValidationError) -> list[ErrorDetail]:
    if hasattr(exc, "error_dict"):
        return [
            ErrorDetail(field=None if field == "__all__" else field, message=str(message))
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [ErrorDetail(field=None, message=str(message)) for message in exc.messages]


def _clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run the model's field validators; uniqueness is checked by the callers, with the right error code."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailedError(details=_details(exc)) from None


def _check_account_id(account_id: Any) -> int:
    if isinstance(account_id, bool) or not isinstance(account_id, int) or account_id <= 0:
        raise ValidationFailedError(details={"account_id": _("An account id is a positive integer.")})
    return account_id


def _check_role(role: Any) -> str:
    if role not in Role.values:
        raise ValidationFailedError(details={"role": format_lazy(_("Unknown role {role}."), role=repr(role))})
    return role


def phone_normalise(phone: Any) -> Any:
    """Return a phone number without spaces, dashes and brackets (``+998 (90) 123-45-67`` → ``+998901234567``)."""
    return _PHONE_DECORATION.sub("", phone) if isinstance(phone, str) else phone


def _phone_conflict() -> ConflictError:
    message = _("This phone number belongs to another person.")
    return ConflictError(message, details={"phone": message})


def _check_phone_free(phone: str, *, account_id: int) -> None:
    if phone and Profile.objects.filter(phone=phone).exclude(account_id=account_id).exists():
        raise _phone_conflict()


def _save(instance: models.Model, **kwargs: Any) -> None:
    """Save; a unique constraint that a concurrent writer won between our check and our write becomes CONFLICT."""
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as exc:
        if "profile_phone_uniq" in str(exc):
            raise _phone_conflict() from None
        raise ConflictError() from None


def _locked_profile(account_id: Any) -> Profile:
    account_id = _check_account_id(account_id)
    profile = Profile.objects.select_for_update().filter(account_id=account_id).first()
    if profile is None:
        raise NotFoundError(format_lazy(_("Account {account_id} has no profile."), account_id=account_id))
    return profile


def _roles(profile: Profile) -> list[str]:
    return sorted(profile.role_grants.values_list("role", flat=True))


def _publish_profile_updated(profile: Profile, changed_fields: Iterable[str]) -> None:
    publish(
        USER_PROFILE_UPDATED,
        subject=profile.account_id,
        data=UserProfileUpdated(
            account_id=profile.account_id,
            changed_fields=sorted(changed_fields),
            status=profile.status,
            active_role=profile.active_role or None,
        ),
    )


def _profile_insert(
    *,
    account_id: Any,
    first_name: str,
    last_name: str,
    phone: str,
    language: str,
    roles: tuple[str, ...] = (),
    granted_by: int | None = None,
) -> Profile:
    account_id = _check_account_id(account_id)
    profile = Profile(
        account_id=account_id,
        first_name=first_name,
        last_name=last_name,
        phone=phone_normalise(phone),
        language=language,
        active_role=ranked(roles)[0] if roles else "",
    )
    _clean(profile)
    if Profile.objects.filter(account_id=account_id).exists():
        raise ConflictError(format_lazy(_("Account {account_id} already has a profile."), account_id=account_id))
    _check_phone_free(profile.phone, account_id=account_id)
    _save(profile)
    RoleGrant.objects.bulk_create(RoleGrant(profile=profile, role=role, granted_by=granted_by) for role in roles)
    publish(
        USER_CREATED,
        subject=account_id,
        data=UserCreated(
            account_id=account_id,
            roles=sorted(roles),
            active_role=profile.active_role or None,
            status=profile.status,
            language=profile.language,
        ),
    )
    return profile


# --- profiles --------------------------------------------------------------------------------------------------


@transaction.atomic
def profile_create(
    *,
    account_id: int,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    language: str = Language.RU,
) -> Profile:
    """Create the profile of an account, with no role and status pending; publish ``user.created``.

    :raises ValidationFailedError: for a bad account id, name, phone or language.
    :raises ConflictError: if the account already has a profile or the phone belongs to another person.
    """
    return _profile_insert(
        account_id=account_id, first_name=first_name, last_name=last_name, phone=phone, language=language
    )


@transaction.atomic
def profile_update(*, account_id: int, **fields: Any) -> Profile:
    """Change profile fields (names, phone, language, avatar, bio, settings); publish ``user.profile_updated``.

    Only fields whose value changes count; when none does, nothing is written and nothing is published.

    :raises ValidationFailedError: for a field that cannot be updated here or a bad value.
    :raises NotFoundError: if the account has no profile.
    :raises ConflictError: if the new phone belongs to another person.
    """
    unknown = sorted(set(fields) - set(PROFILE_UPDATABLE_FIELDS))
    if unknown:
        raise ValidationFailedError(
            details=[ErrorDetail(field=name, message=str(_("This field cannot be changed here."))) for name in unknown]
        )
    profile = _locked_profile(account_id)
    if "phone" in fields:
        fields["phone"] = phone_normalise(fields["phone"])
    if isinstance(fields.get("avatar_media_id"), str):
        try:
            fields["avatar_media_id"] = uuid.UUID(fields["avatar_media_id"])
        except ValueError:
            raise ValidationFailedError(details={"avatar_media_id": _("Must be a valid UUID.")}) from None
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    if not changed:
        return profile
    for name in changed:
        setattr(profile, name, fields[name])
    if "settings" in changed and not isinstance(profile.settings, dict):
        raise ValidationFailedError(details={"settings": _("Settings are a JSON object.")})
    _clean(profile)
    if "phone" in changed:
        _check_phone_free(profile.phone, account_id=profile.account_id)
    _save(profile, update_fields=[*changed, "updated_at"])
    _publish_profile_updated(profile, changed)
    return profile


def _status_set(account_id: int, status: str) -> Profile:
    profile = _locked_profile(account_id)
    if profile.status == status:
        return profile
    profile.status = status
    profile.save(update_fields=["status", "updated_at"])
    _publish_profile_updated(profile, ["status"])
    return profile


@transaction.atomic
def profile_approve(*, account_id: int) -> Profile:
    """Mark the person as checked by a manager (status approved); publish ``user.profile_updated`` on a change.

    :raises NotFoundError: if the account has no profile.
    """
    return _status_set(account_id, ProfileStatus.APPROVED)


@transaction.atomic
def profile_block(*, account_id: int) -> Profile:
    """Block the person: they keep their data and roles but get no access; publish ``user.profile_updated``.

    Blocking a blocked person changes nothing and publishes nothing.

    :raises NotFoundError: if the account has no profile.
    """
    return _status_set(account_id, ProfileStatus.BLOCKED)


@transaction.atomic
def profile_unblock(*, account_id: int) -> Profile:
    """Lift a block: the person becomes approved (whoever unblocks vouches for them); publish on a change.

    Unblocking a person who is not blocked changes nothing and publishes nothing.

    :raises NotFoundError: if the account has no profile.
    """
    profile = _locked_profile(account_id)
    if profile.status != ProfileStatus.BLOCKED:
        return profile
    return _status_set(account_id, ProfileStatus.APPROVED)


@transaction.atomic
def applicant_ensure(*, account_id: int, first_name: str = "", last_name: str = "", language: str = "ru") -> Profile:
    """Make sure the account has a profile and a role; create it as an applicant if it has none (Telegram sign-up).

    Idempotent: a second call changes nothing and publishes nothing. A person who already holds any role (staff
    signing in through Telegram) keeps their roles and does not become an applicant as well. Publishes
    ``user.created`` (roles ``["applicant"]``) for a new profile, ``user.role_changed`` when an existing profile
    without roles gets the applicant role.

    :raises ValidationFailedError: for a bad account id, name or language.
    """
    account_id = _check_account_id(account_id)
    profile = Profile.objects.select_for_update().filter(account_id=account_id).first()
    if profile is None:
        try:
            with transaction.atomic():
                return _profile_insert(
                    account_id=account_id,
                    first_name=first_name,
                    last_name=last_name,
                    phone="",
                    language=language,
                    roles=(Role.APPLICANT,),
                )
        except ConflictError:
            # A concurrent sign-up of the same account created the profile first: carry on with theirs.
            profile = _locked_profile(account_id)
    if not profile.role_grants.exists():
        _role_grant(profile, Role.APPLICANT, granted_by=None)
    return profile


# --- roles -----------------------------------------------------------------------------------------------------


def _role_grant(profile: Profile, role: str, *, granted_by: int | None) -> RoleGrant:
    old_roles = _roles(profile)
    if role in old_roles:
        raise ConflictError(format_lazy(_("The person already has the role {role}."), role=role))
    grant = RoleGrant.objects.create(profile=profile, role=role, granted_by=granted_by, granted_at=timezone.now())
    if not profile.active_role:
        profile.active_role = role
        profile.save(update_fields=["active_role", "updated_at"])
    publish(
        USER_ROLE_CHANGED,
        subject=profile.account_id,
        data=UserRoleChanged(
            account_id=profile.account_id,
            old_roles=old_roles,
            new_roles=sorted([*old_roles, role]),
            active_role=profile.active_role or None,
            changed_by=granted_by,
        ),
    )
    return grant


@transaction.atomic
def role_grant(*, account_id: int, role: str, granted_by: int | None) -> RoleGrant:
    """Grant a role; it becomes the active role if the person had none. Publish ``user.role_changed``.

    :raises ValidationFailedError: for a bad account id or an unknown role.
    :raises NotFoundError: if the account has no profile.
    :raises ConflictError: if the person already has the role.
    """
    _check_role(role)
    return _role_grant(_locked_profile(account_id), role, granted_by=granted_by)


@transaction.atomic
def role_revoke(*, account_id: int, role: str, revoked_by: int | None) -> None:
    """Revoke a role; if it was the active one, the most privileged remaining role (or none) becomes active.

    Publishes ``user.role_changed``.

    :raises ValidationFailedError: for a bad account id or an unknown role.
    :raises NotFoundError: if the account has no profile or the person does not have the role.
    """
    _check_role(role)
    profile = _locked_profile(account_id)
    old_roles = _roles(profile)
    if role not in old_roles:
        raise NotFoundError(format_lazy(_("The person does not have the role {role}."), role=role))
    profile.role_grants.filter(role=role).delete()
    new_roles = [name for name in old_roles if name != role]
    if profile.active_role == role:
        remaining = ranked(new_roles)
        profile.active_role = remaining[0] if remaining else ""
        profile.save(update_fields=["active_role", "updated_at"])
    publish(
        USER_ROLE_CHANGED,
        subject=profile.account_id,
        data=UserRoleChanged(
            account_id=profile.account_id,
            old_roles=old_roles,
            new_roles=new_roles,
            active_role=profile.active_role or None,
            changed_by=revoked_by,
        ),
    )


@transaction.atomic
def active_role_switch(*, account_id: int, role: str) -> Profile:
    """Make one of the person's granted roles the active one; publish ``user.profile_updated`` (``active_role``).

    Switching to the role already active changes nothing and publishes nothing.

    :raises ValidationFailedError: for a bad account id, an unknown role or a role the person was not granted.
    :raises NotFoundError: if the account has no profile.
    """
    _check_role(role)
    profile = _locked_profile(account_id)
    if role not in _roles(profile):
        raise ValidationFailedError(
            details={"role": format_lazy(_("The person does not have the role {role}."), role=role)}
        )
    if profile.active_role == role:
        return profile
    profile.active_role = role
    profile.save(update_fields=["active_role", "updated_at"])
    _publish_profile_updated(profile, ["active_role"])
    return profile


# --- specializations -------------------------------------------------------------------------------------------


@transaction.atomic
def specialization_set(*, account_id: int, key: str, level: int) -> Specialization:
    """Give the person a specialization at ``level`` (1–5), or change its level; publish ``user.profile_updated``.

    Setting the level a specialization already has changes nothing and publishes nothing.

    :raises ValidationFailedError: for a bad account id, an unknown specialization or a level outside 1–5.
    :raises NotFoundError: if the account has no profile.
    """
    if key not in SpecializationKey.values:
        raise ValidationFailedError(details={"key": format_lazy(_("Unknown specialization {key}."), key=repr(key))})
    if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ValidationFailedError(
            details={
                "level": format_lazy(
                    _("The level is a whole number from {low} to {high}."), low=MIN_LEVEL, high=MAX_LEVEL
                )
            }
        )
    profile = _locked_profile(account_id)
    specialization = profile.specializations.filter(key=key).first()
    if specialization is not None and specialization.level == level:
        return specialization
    if specialization is None:
        specialization = Specialization.objects.create(profile=profile, key=key, level=level)
    else:
        specialization.level = level
        specialization.save(update_fields=["level"])
    _publish_profile_updated(profile, ["specializations"])
    return specialization


@transaction.atomic
def specialization_remove(*, account_id: int, key: str) -> None:
    """Take a specialization away from the person; publish ``user.profile_updated`` (``specializations``).

    :raises NotFoundError: if the account has no profile or the person does not have the specialization.
    """
    profile = _locked_profile(account_id)
    deleted, _rows = profile.specializations.filter(key=key).delete()
    if not deleted:
        raise NotFoundError(format_lazy(_("The person does not have the specialization {key}."), key=key))
    _publish_profile_updated(profile, ["specializations"])


# --- the place tree --------------------------------------------------------------------------------------------


def _place_save(instance: models.Model, *, duplicate: str) -> None:
    _clean(instance)
    try:
        instance.validate_unique()
        instance.validate_constraints()
    except DjangoValidationError as exc:
        details = _details(exc)
        codes = {message.code for messages in exc.error_dict.values() for message in messages}
        if codes & {"unique", "unique_together"}:
            raise ConflictError(duplicate, details=details) from None
        raise ValidationFailedError(details=details) from None
    _save(instance)


@transaction.atomic
def yard_create(*, name: str, address: str = "") -> Yard:
    """Create a yard (residential complex).

    :raises ValidationFailedError: for an empty or overlong name or address.
    :raises ConflictError: if a yard with that name exists.
    """
    yard = Yard(name=name, address=address)
    _place_save(yard, duplicate=_("A yard with this name already exists."))
    return yard


@transaction.atomic
def building_create(
    *, yard_id: int, address: str, latitude: Decimal | None = None, longitude: Decimal | None = None
) -> Building:
    """Create a building in a yard; coordinates are degrees (latitude −90…90, longitude −180…180), both or neither.

    :raises ValidationFailedError: for an empty address or coordinates out of range or given alone.
    :raises NotFoundError: if the yard does not exist.
    :raises ConflictError: if the yard has a building at that address.
    """
    yard = Yard.objects.filter(pk=yard_id).first()
    if yard is None:
        raise NotFoundError(_("No such yard."))
    building = Building(yard=yard, address=address, latitude=latitude, longitude=longitude)
    _place_save(building, duplicate=_("The yard already has a building at this address."))
    return building


@transaction.atomic
def entrance_create(*, building_id: int, number: int) -> Entrance:
    """Create an entrance of a building.

    :raises ValidationFailedError: for a number below 1.
    :raises NotFoundError: if the building does not exist.
    :raises ConflictError: if the building has an entrance with that number.
    """
    building = Building.objects.filter(pk=building_id).first()
    if building is None:
        raise NotFoundError(_("No such building."))
    entrance = Entrance(building=building, number=number)
    _place_save(entrance, duplicate=_("The building already has an entrance with this number."))
    return entrance


@transaction.atomic
def apartment_create(*, entrance_id: int, number: str, floor: int | None = None) -> Apartment:
    """Create an apartment in an entrance.

    :raises ValidationFailedError: for an empty number or a floor out of range.
    :raises NotFoundError: if the entrance does not exist.
    :raises ConflictError: if the entrance has an apartment with that number.
    """
    entrance = Entrance.objects.filter(pk=entrance_id).first()
    if entrance is None:
        raise NotFoundError(_("No such entrance."))
    apartment = Apartment(entrance=entrance, number=number, floor=floor)
    _place_save(apartment, duplicate=_("The entrance already has an apartment with this number."))
    return apartment


# --- residents' apartments -------------------------------------------------------------------------------------


def _check_positive_id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailedError(details={field: _("An id is a positive integer.")})
    return value


def _check_media_id(value: Any, field: str) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise ValidationFailedError(details={field: _("Must be a valid UUID.")}) from None


def _link_conflict() -> ConflictError:
    return ConflictError(_("You already have a link to this apartment, pending or approved."))


def _primary_fallback(profile: Profile) -> None:
    """After the primary link left, make the oldest live link primary (approved before pending), if there is one."""
    links = ApartmentLink.objects.filter(LIVE_LINK, profile=profile)
    if links.filter(is_primary=True).exists():
        return
    successor = links.order_by(
        models.Case(models.When(status=ApartmentLinkStatus.APPROVED, then=0), default=1), "created_at", "pk"
    ).first()
    if successor is not None:
        successor.is_primary = True
        successor.save(update_fields=["is_primary"])


def _locked_link(link_id: Any) -> tuple[Profile, ApartmentLink]:
    """Lock the link's owner (serialising every change to their links), then the link itself."""
    link_id = _check_positive_id(link_id, "link_id")
    account_id = ApartmentLink.objects.filter(pk=link_id).values_list("profile_id", flat=True).first()
    if account_id is None:
        raise NotFoundError(_("No such apartment link."))
    profile = _locked_profile(account_id)
    link = ApartmentLink.objects.select_for_update().filter(pk=link_id).first()
    if link is None:  # removed while we waited for the lock
        raise NotFoundError(_("No such apartment link."))
    return profile, link


def _own_link(account_id: Any, link_id: Any) -> tuple[Profile, ApartmentLink]:
    _check_positive_id(link_id, "link_id")
    profile = _locked_profile(account_id)
    link = ApartmentLink.objects.select_for_update().filter(pk=link_id, profile=profile).first()
    if link is None:
        raise NotFoundError(_("No such apartment link."))
    return profile, link


def _check_pending(link: ApartmentLink) -> None:
    if link.status != ApartmentLinkStatus.PENDING:
        raise ConflictError(
            format_lazy(
                _("This apartment link was already reviewed ({status})."),
                status=ApartmentLinkStatus(link.status).label,
            )
        )


@transaction.atomic
def apartment_link_request(
    *,
    account_id: int,
    apartment_id: int,
    relation: str,
    primary: bool = False,
    document_media_id: uuid.UUID | str | None = None,
) -> ApartmentLink:
    """Ask to be linked to an apartment as owner, tenant or family member; the link is pending until reviewed.

    The person's first live link becomes primary, as does one requested with ``primary`` (the previous primary
    link stops being it). ``document_media_id`` is an optional identity document for the reviewing manager.
    Publishes ``user.profile_updated`` (``apartments``) and ``user.apartment_link_requested``.

    :raises ValidationFailedError: for a bad account id, apartment id, relation or document id.
    :raises NotFoundError: if the account has no profile or the apartment does not exist.
    :raises ConflictError: if the person already has a pending or approved link to the apartment.
    """
    if relation not in ApartmentRelation.values:
        raise ValidationFailedError(
            details={"relation": format_lazy(_("Unknown relation {relation}."), relation=repr(relation))}
        )
    if not isinstance(primary, bool):
        raise ValidationFailedError(details={"primary": _("Must be true or false.")})
    apartment_id = _check_positive_id(apartment_id, "apartment_id")
    document_media_id = _check_media_id(document_media_id, "document_media_id")
    if document_media_id is not None:  # the person's own clean (or unscanned) upload, not attached elsewhere
        media_public.files_require_usable(
            media_ids=[document_media_id], account_id=account_id, field="document_media_id"
        )
    profile = _locked_profile(account_id)
    apartment = Apartment.objects.filter(pk=apartment_id).first()
    if apartment is None:
        raise NotFoundError(_("No such apartment."))
    live = ApartmentLink.objects.filter(LIVE_LINK, profile=profile)
    if live.filter(apartment=apartment).exists():
        raise _link_conflict()
    is_primary = primary or not live.exists()
    if is_primary:
        live.filter(is_primary=True).update(is_primary=False)
    link = ApartmentLink(
        profile=profile,
        apartment=apartment,
        relation=relation,
        is_primary=is_primary,
        document_media_id=document_media_id,
    )
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:  # a concurrent writer won the partial unique index (the profile lock makes this rare)
        raise _link_conflict() from None
    if document_media_id is not None:
        media_public.attach(media_ids=[document_media_id], kind="apartment_link", object_id=str(link.pk))
    _publish_profile_updated(profile, ["apartments"])
    publish(
        USER_APARTMENT_LINK_REQUESTED,
        subject=profile.account_id,
        data=ApartmentLinkRequested(
            account_id=profile.account_id, link_id=link.pk, apartment_id=apartment.pk, relation=relation
        ),
    )
    return link


def _publish_link_decided(link: ApartmentLink, reviewer_id: int) -> None:
    publish(
        USER_APARTMENT_LINK_DECIDED,
        subject=link.profile_id,
        data=ApartmentLinkDecided(
            account_id=link.profile_id,
            link_id=link.pk,
            apartment_id=link.apartment_id,
            status=link.status,
            reviewed_by=reviewer_id,
        ),
    )


@transaction.atomic
def apartment_link_approve(*, link_id: int, reviewer_id: int) -> ApartmentLink:
    """Approve a pending apartment link; a person without any role becomes an applicant.

    Publishes ``user.profile_updated`` (``apartments``), ``user.apartment_link_decided``, and
    ``user.role_changed`` when the role is granted.

    :raises ValidationFailedError: for a bad link or reviewer id.
    :raises NotFoundError: if the link does not exist.
    :raises ConflictError: if the link was already approved or rejected.
    """
    reviewer_id = _check_positive_id(reviewer_id, "reviewer_id")
    profile, link = _locked_link(link_id)
    _check_pending(link)
    link.status = ApartmentLinkStatus.APPROVED
    link.reviewed_by, link.reviewed_at = reviewer_id, timezone.now()
    link.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    if not profile.role_grants.exists():
        _role_grant(profile, Role.APPLICANT, granted_by=reviewer_id)
    _publish_profile_updated(profile, ["apartments"])
    _publish_link_decided(link, reviewer_id)
    return link


@transaction.atomic
def apartment_link_reject(*, link_id: int, reviewer_id: int, reason: str) -> ApartmentLink:
    """Reject a pending apartment link, saying why; if it was primary, the person's next live link becomes so.

    Publishes ``user.profile_updated`` (``apartments``) and ``user.apartment_link_decided``.

    :raises ValidationFailedError: for a bad link or reviewer id, or a missing, overlong or NUL-bearing reason.
    :raises NotFoundError: if the link does not exist.
    :raises ConflictError: if the link was already approved or rejected.
    """
    reviewer_id = _check_positive_id(reviewer_id, "reviewer_id")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailedError(details={"reason": _("Say why the link is rejected.")})
    profile, link = _locked_link(link_id)
    _check_pending(link)
    link.status, link.reason, link.is_primary = ApartmentLinkStatus.REJECTED, reason, False
    link.reviewed_by, link.reviewed_at = reviewer_id, timezone.now()
    _clean(link)
    link.save(update_fields=["status", "reason", "is_primary", "reviewed_by", "reviewed_at"])
    _primary_fallback(profile)
    _publish_profile_updated(profile, ["apartments"])
    _publish_link_decided(link, reviewer_id)
    return link


@transaction.atomic
def apartment_link_remove(*, account_id: int, link_id: int) -> None:
    """Remove one of the person's own apartment links (any status); the next live link becomes primary if needed.

    Publishes ``user.profile_updated`` (``apartments``).

    :raises ValidationFailedError: for a bad account or link id.
    :raises NotFoundError: if the account has no profile or no such link.
    """
    profile, link = _own_link(account_id, link_id)
    link.delete()
    _primary_fallback(profile)
    _publish_profile_updated(profile, ["apartments"])


@transaction.atomic
def apartment_primary_set(*, account_id: int, link_id: int) -> ApartmentLink:
    """Make one of the person's pending or approved links the primary one; publish ``user.profile_updated``.

    Choosing the link that is already primary changes nothing and publishes nothing.

    :raises ValidationFailedError: for a bad account or link id.
    :raises NotFoundError: if the account has no profile or no such link.
    :raises ConflictError: if the link was rejected.
    """
    profile, link = _own_link(account_id, link_id)
    if link.status == ApartmentLinkStatus.REJECTED:
        raise ConflictError(_("A rejected apartment link cannot be the primary one."))
    if link.is_primary:
        return link
    ApartmentLink.objects.filter(LIVE_LINK, profile=profile, is_primary=True).update(is_primary=False)
    link.is_primary = True
    link.save(update_fields=["is_primary"])
    _publish_profile_updated(profile, ["apartments"])
    return link


@transaction.atomic
def apartment_link_document_set(*, account_id: int, link_id: int, document_media_id: uuid.UUID | str) -> ApartmentLink:
    """Attach (or replace) the identity document of one's own pending link, e.g. when the manager asks for it.

    Publishes ``user.profile_updated`` (``apartments``) when the document changes.

    :raises ValidationFailedError: for a bad account or link id, or a missing or malformed document id.
    :raises NotFoundError: if the account has no profile or no such link.
    :raises ConflictError: if the link was already reviewed.
    """
    document_media_id = _check_media_id(document_media_id, "document_media_id")
    if document_media_id is None:
        raise ValidationFailedError(details={"document_media_id": _("This field is required.")})
    profile, link = _own_link(account_id, link_id)
    _check_pending(link)
    if link.document_media_id == document_media_id:
        return link
    media_public.files_require_usable(
        media_ids=[document_media_id],
        account_id=account_id,
        field="document_media_id",
        kind="apartment_link",
        object_id=str(link.pk),
    )
    media_public.attach(media_ids=[document_media_id], kind="apartment_link", object_id=str(link.pk))
    link.document_media_id = document_media_id
    link.save(update_fields=["document_media_id"])
    _publish_profile_updated(profile, ["apartments"])
    return link
