"""Residents' apartments: a person asks to be linked to an apartment, a manager approves or rejects the link,
and the person keeps their links (primary one, identity document, removal)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.media import public as media_public
from ukbot.users.events import (
    USER_APARTMENT_LINK_DECIDED,
    USER_APARTMENT_LINK_REQUESTED,
    ApartmentLinkDecided,
    ApartmentLinkRequested,
)
from ukbot.users.models import LIVE_LINK, Apartment, ApartmentLink, ApartmentLinkStatus, ApartmentRelation, Profile
from ukbot.users.roles import Role
from ukbot.users.services.common import _clean, _locked_profile, _publish_profile_updated
from ukbot.users.services.roles import _role_grant, not_by_themselves


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
    :raises PermissionDeniedError: if the reviewer is the person the link is for.
    """
    reviewer_id = _check_positive_id(reviewer_id, "reviewer_id")
    profile, link = _locked_link(link_id)
    _check_pending(link)
    not_by_themselves(account_id=link.profile_id, decided_by=reviewer_id)
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
    :raises PermissionDeniedError: if the reviewer is the person the link is for.
    """
    reviewer_id = _check_positive_id(reviewer_id, "reviewer_id")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailedError(details={"reason": _("Say why the link is rejected.")})
    profile, link = _locked_link(link_id)
    _check_pending(link)
    not_by_themselves(account_id=link.profile_id, decided_by=reviewer_id)
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
