"""What a person may do: granting and revoking roles, the active role, and trade specializations with levels."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ukbot.auth import public as auth_public
from ukbot.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.users.events import USER_ROLE_CHANGED, UserRoleChanged
from ukbot.users.models import Profile, RoleGrant, Specialization
from ukbot.users.roles import Role, ranked
from ukbot.users.services.common import _locked_profile, _publish_profile_updated, _roles
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey


def _check_role(role: Any) -> str:
    if role not in Role.values:
        raise ValidationFailedError(details={"role": format_lazy(_("Unknown role {role}."), role=repr(role))})
    return role


def not_by_themselves(*, account_id: int, decided_by: int | None) -> None:
    """Refuse a decision about a person's roles or standing taken by that same person (decision 0027).

    :raises PermissionDeniedError: if ``decided_by`` is ``account_id``.
    """
    if decided_by is not None and decided_by == account_id:
        raise PermissionDeniedError(_("Nobody decides on their own access: ask another manager or administrator."))


def _role_grant(profile: Profile, role: str, *, granted_by: int | None) -> RoleGrant:
    not_by_themselves(account_id=profile.account_id, decided_by=granted_by)
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
    :raises PermissionDeniedError: if ``granted_by`` is the person (nobody raises their own access).
    """
    _check_role(role)
    return _role_grant(_locked_profile(account_id), role, granted_by=granted_by)


@transaction.atomic
def role_revoke(*, account_id: int, role: str, revoked_by: int | None) -> None:
    """Revoke a role; if it was the active one, the most privileged remaining role (or none) becomes active.

    The person's sessions carrying the role end at once (their other roles' sessions go on). Publishes
    ``user.role_changed``.

    :raises ValidationFailedError: for a bad account id or an unknown role.
    :raises NotFoundError: if the account has no profile or the person does not have the role.
    """
    _check_role(role)
    profile = _locked_profile(account_id)
    old_roles = _roles(profile)
    if role not in old_roles:
        raise NotFoundError(format_lazy(_("The person does not have the role {role}."), role=role))
    profile.role_grants.filter(role=role).delete()
    # Sessions opened under the role end now, not at their next refresh: its access tokens live 15 minutes.
    auth_public.sessions_end(account_id=profile.account_id, reason="role_withdrawn", role=role)
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
