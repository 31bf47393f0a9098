"""Profiles: create, update, approve, block and unblock a person, and the Telegram sign-up (``applicant_ensure``)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ukbot.auth import public as auth_public
from ukbot.core.errors import ConflictError, ErrorDetail, ValidationFailedError
from ukbot.core.events import publish
from ukbot.media import public as media_public
from ukbot.users.events import USER_CREATED, UserCreated
from ukbot.users.models import Language, Profile, ProfileStatus, RoleGrant
from ukbot.users.roles import Role, ranked
from ukbot.users.services.common import (
    _check_account_id,
    _clean,
    _locked_profile,
    _phone_conflict,
    _publish_profile_updated,
    _roles,
    _save,
)
from ukbot.users.services.roles import _role_grant

PHONE_UNUSABLE = _("This phone number cannot be used. If it is yours, ask the management company to set it.")

# Fields a profile update may change; status and the active role have services of their own.
# A person's settings are small preferences; the limit keeps one profile from holding an arbitrary document.
PROFILE_SETTINGS_MAX_BYTES = 16 * 1024  # serialized as JSON (UTF-8)
PROFILE_UPDATABLE_FIELDS = ("first_name", "last_name", "phone", "language", "avatar_media_id", "bio", "settings")
_PHONE_DECORATION = re.compile(r"[\s\-()]")


def phone_normalise(phone: Any) -> Any:
    """Return a phone number without spaces, dashes and brackets (``+998 (90) 123-45-67`` → ``+998901234567``)."""
    return _PHONE_DECORATION.sub("", phone) if isinstance(phone, str) else phone


def _check_phone_free(phone: str, *, account_id: int) -> None:
    if phone and Profile.objects.filter(phone=phone).exclude(account_id=account_id).exists():
        raise _phone_conflict()


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

    Only fields whose value changes count; when none does, nothing is written and nothing is published. A new
    avatar must be an image the person uploaded themselves.

    :raises ValidationFailedError: for a field that cannot be updated here or a bad value (an avatar that is not
        the person's own image included).
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
    if "settings" in changed:
        _check_settings(profile.settings)
    if "avatar_media_id" in changed and profile.avatar_media_id is not None:
        _check_avatar(profile.avatar_media_id, account_id=profile.account_id)
    _clean(profile)
    if "phone" in changed:
        _check_phone_free(profile.phone, account_id=profile.account_id)
    _save(profile, update_fields=[*changed, "updated_at"])
    _publish_profile_updated(profile, changed)
    return profile


def profile_update_own(*, account_id: int, **fields: Any) -> Profile:
    """Change one's own profile (:func:`profile_update`), refusing another person's phone without saying so.

    A typed phone number is not proved to be the typist's, so "it belongs to another person" would tell anyone
    whose number is registered here. The refusal names no holder and no conflict: the number cannot be used, and
    the management company changes it for whoever proves it is theirs (decision 0022).

    :raises ValidationFailedError: as :func:`profile_update`, and for a phone that cannot be used.
    :raises NotFoundError: if the account has no profile.
    """
    try:
        return profile_update(account_id=account_id, **fields)
    except ConflictError as conflict:
        if not any(detail.field == "phone" for detail in conflict.details):
            raise
    raise ValidationFailedError(details={"phone": PHONE_UNUSABLE})


def _check_avatar(media_id: uuid.UUID, *, account_id: int) -> None:
    """Refuse an avatar that is not an image the person uploaded themselves (or failed the virus scan): a file of
    someone else's would be shown as theirs, and a link to it would outlive its owner's wish to delete it.

    :raises ValidationFailedError: naming ``avatar_media_id``.
    """
    info = media_public.file_info(media_id=media_id)
    if info is None or info.owner_id != account_id:
        message = _("The avatar must be a file this person uploaded.")
    elif not info.is_image:
        message = _("The avatar must be an image (JPEG, PNG, WebP or HEIC).")
    elif info.scan_status == "infected":  # FileInfo.scan_status holds the ScanStatus values of `media`
        message = _("The avatar file failed the virus scan.")
    else:
        return
    raise ValidationFailedError(details={"avatar_media_id": message})


def _check_settings(value: Any) -> None:
    """Refuse settings PostgreSQL's jsonb would refuse (a NUL character) and settings over the size limit.

    :raises ValidationFailedError: naming ``settings``.
    """
    if not isinstance(value, dict):
        raise ValidationFailedError(details={"settings": _("Settings are a JSON object.")})
    try:
        size = len(json.dumps(value, ensure_ascii=False).encode())
    except (TypeError, ValueError, RecursionError):
        raise ValidationFailedError(details={"settings": _("Settings are a JSON object.")}) from None
    if size > PROFILE_SETTINGS_MAX_BYTES:
        message = _("Settings take at most %(limit)d bytes as JSON.") % {"limit": PROFILE_SETTINGS_MAX_BYTES}
        raise ValidationFailedError(details={"settings": message})
    pending: list[Any] = [value]  # walked without recursion: the depth is the client's to choose
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and "\x00" in item:
            raise ValidationFailedError(details={"settings": _("Settings cannot hold the NUL character (\\u0000).")})


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

    Every session of theirs ends at once (its access tokens are refused from the next request). Blocking a blocked
    person changes nothing and publishes nothing.

    :raises NotFoundError: if the account has no profile.
    """
    profile = _status_set(account_id, ProfileStatus.BLOCKED)
    auth_public.sessions_end(account_id=profile.account_id, reason="blocked")
    return profile


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


@transaction.atomic
def admin_role_ensure(*, account_id: int) -> Profile:
    """Make the account an administrator of the service: a profile (created if missing, approved) with the
    ``admin`` role, active when the person had no active role. For the deployment's superusers (decision 0027);
    idempotent.

    :raises ValidationFailedError: for a bad account id.
    """
    if not Profile.objects.filter(account_id=account_id).exists():
        profile_create(account_id=account_id)
    profile = _locked_profile(account_id)
    if Role.ADMIN not in _roles(profile):
        _role_grant(profile, Role.ADMIN, granted_by=None)
    if profile.status == ProfileStatus.PENDING:
        profile_approve(account_id=account_id)
    profile.refresh_from_db()
    return profile
