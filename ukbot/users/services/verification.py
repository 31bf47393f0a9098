"""Executor verification (write use-cases): a person applies with documents; a manager approves or rejects.

Approval grants the executor role and the specialization applied for, and publishes ``user.verified``.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.media import public as media_public
from ukbot.users import selectors
from ukbot.users.events import (
    USER_VERIFICATION_REJECTED,
    USER_VERIFICATION_SUBMITTED,
    USER_VERIFIED,
    UserVerified,
    VerificationRejected,
    VerificationSubmitted,
)
from ukbot.users.models import Profile, ProfileStatus, VerificationApplication, VerificationStatus
from ukbot.users.roles import Role
from ukbot.users.services.profiles import profile_approve, profile_create
from ukbot.users.services.roles import not_by_themselves, role_grant, specialization_set
from ukbot.users.specializations import MIN_LEVEL, SpecializationKey

MAX_DOCUMENTS = 10


def _documents(documents) -> list[str]:
    try:
        ids = [str(uuid.UUID(str(d))) for d in documents]
    except (ValueError, TypeError):
        raise ValidationFailedError(details={"documents": _("Documents are media ids (UUIDs).")}) from None
    if len(ids) > MAX_DOCUMENTS:
        raise ValidationFailedError(details={"documents": _("At most 10 documents.")})
    return ids


def verification_apply(
    *, account_id: int, specialization: str, documents: list, comment: str = ""
) -> VerificationApplication:
    """Apply to be verified as an executor of ``specialization``, with document media ids; publish
    ``user.verification_submitted``.

    :raises ValidationFailedError: unknown specialization, bad document ids, documents the person did not upload
        (or unknown), infected or attached to something else.
    :raises ConflictError: if the person already has an application waiting for review.
    """
    if specialization not in SpecializationKey.values:
        raise ValidationFailedError(details={"specialization": _("Unknown specialization.")})
    ids = _documents(documents)
    media_public.files_require_usable(media_ids=ids, account_id=account_id, field="documents")
    try:
        with transaction.atomic():
            if not Profile.objects.filter(account_id=account_id).exists():
                profile_create(account_id=account_id)
            application = VerificationApplication.objects.create(
                account_id=account_id, specialization=specialization, documents=ids, comment=comment
            )
            media_public.attach(media_ids=ids, kind="verification", object_id=str(application.pk))
            publish(
                USER_VERIFICATION_SUBMITTED,
                subject=account_id,
                data=VerificationSubmitted(
                    account_id=account_id, application_id=application.pk, specialization=specialization
                ),
            )
            return application
    except IntegrityError:
        raise ConflictError(_("An application is already waiting for review.")) from None


@transaction.atomic
def verification_add_documents(*, application_id: int, account_id: int, documents: list) -> VerificationApplication:
    """Add documents to one's own application while it waits for review.

    :raises NotFoundError: no such application of this person.
    :raises ConflictError: the application was already reviewed.
    :raises ValidationFailedError: bad document ids, or documents that are not usable (as for applying).
    """
    application = (
        VerificationApplication.objects.select_for_update().filter(pk=application_id, account_id=account_id).first()
    )
    if application is None:
        raise NotFoundError(_("No such application."))
    if application.status != VerificationStatus.PENDING:
        raise ConflictError(_("This application was already reviewed."))
    added = _documents(documents)
    media_public.files_require_usable(
        media_ids=added, account_id=account_id, field="documents", kind="verification", object_id=str(application.pk)
    )
    merged = list(dict.fromkeys([*application.documents, *added]))
    application.documents = _documents(merged)
    application.save(update_fields=["documents"])
    media_public.attach(media_ids=added, kind="verification", object_id=str(application.pk))
    return application


@transaction.atomic
def verification_review(
    *, application_id: int, reviewer_id: int, approve: bool, reason: str = "", level: int | None = None
) -> VerificationApplication:
    """Approve (grant executor and the specialization; publish ``user.verified``) or reject with a reason
    (publish ``user.verification_rejected``).

    :raises NotFoundError: no such application.
    :raises ConflictError: it was already reviewed.
    :raises ValidationFailedError: a rejection without a reason.
    :raises PermissionDeniedError: the reviewer is the applicant.
    """
    application = VerificationApplication.objects.select_for_update().filter(pk=application_id).first()
    if application is None:
        raise NotFoundError(_("No such application."))
    if application.status != VerificationStatus.PENDING:
        raise ConflictError(_("This application was already reviewed."))
    not_by_themselves(account_id=application.account_id, decided_by=reviewer_id)
    if not approve and not reason.strip():
        raise ValidationFailedError(details={"reason": _("Say why the application is rejected.")})
    application.status = VerificationStatus.APPROVED if approve else VerificationStatus.REJECTED
    application.reason = reason.strip()
    application.reviewed_by, application.reviewed_at = reviewer_id, timezone.now()
    application.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
    if approve:
        if Role.EXECUTOR not in selectors.profile_roles(account_id=application.account_id):
            role_grant(account_id=application.account_id, role=Role.EXECUTOR, granted_by=reviewer_id)
        specialization_set(account_id=application.account_id, key=application.specialization, level=level or MIN_LEVEL)
        # the reviewer checked the person's documents: a pending profile becomes approved (blocked stays blocked)
        if Profile.objects.filter(account_id=application.account_id, status=ProfileStatus.PENDING).exists():
            profile_approve(account_id=application.account_id)
        publish(
            USER_VERIFIED,
            subject=application.account_id,
            data=UserVerified(
                account_id=application.account_id,
                application_id=application.pk,
                specialization=application.specialization,
                verification_type="executor",
                reviewed_by=reviewer_id,
            ),
        )
    else:
        publish(
            USER_VERIFICATION_REJECTED,
            subject=application.account_id,
            data=VerificationRejected(
                account_id=application.account_id,
                application_id=application.pk,
                specialization=application.specialization,
                reviewed_by=reviewer_id,
            ),
        )
    return application
