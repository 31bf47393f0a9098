"""Staff invitations (write use-cases): a manager invites a person into a role; the code works once, until expiry.

A code is 10 random characters and a 6-character HMAC of them (keyed by SECRET_KEY), from an alphabet without
look-alikes, so a mistyped or altered code is refused before any look-up. It fits a Telegram deep link
(``/start inv_<code>``) and can be read out over the phone. Only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import AppError, NotFoundError, PermissionDeniedError, ValidationFailedError
from ukbot.users import selectors
from ukbot.users.models import Invitation, Profile, ProfileStatus
from ukbot.users.roles import Role
from ukbot.users.services.profiles import profile_approve, profile_create
from ukbot.users.services.roles import not_by_themselves, role_grant, specialization_set
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
EXPIRIES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
# Who may invite into which role: managers bring in field staff and residents; only admins bring in managers.
INVITABLE_BY_MANAGERS = (Role.EXECUTOR, Role.INSPECTOR, Role.APPLICANT)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    code: str

    @property
    def start_parameter(self) -> str:
        return f"inv_{self.code}"


def _signature(body: str) -> str:
    key = hashlib.sha256(f"invitation:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:6])


@transaction.atomic
def invitation_create(
    *,
    created_by: int,
    role: str,
    expires_in: str,
    specialization: str = "",
    level: int | None = None,
    note: str = "",
    may_invite_managers: bool = False,
) -> IssuedInvitation:
    """Make an invitation into ``role`` valid for 1 h, 24 h or 7 days; the code is in the result, once.

    :raises ValidationFailedError: unknown role or expiry, an executor invitation without a specialization, a bad
        level, or a specialization for another role.
    :raises PermissionDeniedError: inviting a manager or admin without ``may_invite_managers``.
    """
    errors = {}
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    if expires_in not in EXPIRIES:
        errors["expires_in"] = _("Choose 1h, 24h or 7d.")
    if role == Role.EXECUTOR and specialization not in SpecializationKey.values:
        errors["specialization"] = _("An executor invitation names a specialization.")
    if role != Role.EXECUTOR and (specialization or level is not None):
        errors["specialization"] = _("Only executor invitations name a specialization.")
    if level is not None and not MIN_LEVEL <= level <= MAX_LEVEL:
        errors["level"] = _("The level is from 1 to 5.")
    if errors:
        raise ValidationFailedError(details=errors)
    if role not in INVITABLE_BY_MANAGERS and not may_invite_managers:
        raise PermissionDeniedError(_("Only an administrator invites managers and administrators."))
    body = "".join(secrets.choice(ALPHABET) for _ in range(10))
    code = body + _signature(body)
    invitation = Invitation.objects.create(
        code_hash=selectors.invitation_code_hash(code)[1],
        role=role,
        specialization=specialization,
        level=level,
        note=note,
        created_by=created_by,
        expires_at=timezone.now() + EXPIRIES[expires_in],
    )
    return IssuedInvitation(invitation=invitation, code=code)


def invitation_accept(*, code: str, account_id: int) -> Invitation:
    """Use an invitation: grant its role (and specialization) to the account, creating a profile if needed.

    :raises AppError: INVITATION_INVALID (mistyped, altered, unknown), INVITATION_USED (used or withdrawn),
        INVITATION_EXPIRED.
    :raises PermissionDeniedError: if the person who made the invitation uses it.
    """
    code, code_hash = selectors.invitation_code_hash(code)
    if len(code) != 16 or not hmac.compare_digest(_signature(code[:10]), code[10:]):
        raise AppError("INVITATION_INVALID", _("This invitation code is not valid. Check it and try again."))
    with transaction.atomic():
        invitation = selectors.invitation_check_usable(
            Invitation.objects.select_for_update().filter(code_hash=code_hash).first()
        )
        # A manager's invitation is for someone else: using it themselves would give them the invited role's
        # powers (an executor's claims) on their own say (decision 0027). The code stays usable by the invitee.
        not_by_themselves(account_id=account_id, decided_by=invitation.created_by)
        if not Profile.objects.filter(account_id=account_id).exists():
            profile_create(account_id=account_id)
        if invitation.role not in selectors.profile_roles(account_id=account_id):
            role_grant(account_id=account_id, role=invitation.role, granted_by=invitation.created_by)
        if invitation.specialization:
            specialization_set(
                account_id=account_id, key=invitation.specialization, level=invitation.level or MIN_LEVEL
            )
        # the manager who invited vouches for the person (a blocked person stays blocked)
        if Profile.objects.filter(account_id=account_id, status=ProfileStatus.PENDING).exists():
            profile_approve(account_id=account_id)
        invitation.used_by, invitation.used_at = account_id, timezone.now()
        invitation.save(update_fields=["used_by", "used_at"])
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation_id: int) -> Invitation:
    """Withdraw an unused invitation.

    :raises NotFoundError: if there is no such invitation.
    :raises AppError: INVITATION_USED if it was already used or withdrawn.
    """
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFoundError(_("No such invitation."))
    if invitation.used_at is not None or invitation.revoked_at is not None:
        raise AppError("INVITATION_USED", _("This invitation was already used or withdrawn."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation
