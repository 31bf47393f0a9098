"""Personal data (write and read use-cases): consent records, the export of everything held about a person,
and forgetting a person in every app.

The export asks every domain app's ``public.personal_data(account_id=…)`` (an app that holds personal data
defines one). Forgetting anonymises the profile here and publishes ``user.forgotten``; each app's handler then
anonymises its own records, keeping what is not personal (ids, counts, timestamps) so statistics stay intact.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.auth import public as auth_public
from ukbot.core.errors import NotFoundError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.core.idempotency import keys_forget
from ukbot.media import public as media_public
from ukbot.users.events import USER_FORGOTTEN, UserForgotten
from ukbot.users.models import ApartmentLink, Consent, Invitation, Profile, ProfileStatus, VerificationApplication

FORGOTTEN_STATUS = ProfileStatus.BLOCKED


def consent_record(*, account_id: int, text_version: str, channel: str = "api") -> Consent:
    """Record that the person consented to the processing of personal data under ``text_version``.

    :raises ValidationFailedError: for an empty or overlong version.
    """
    text_version = str(text_version).strip()
    if not text_version or len(text_version) > 40 or "\x00" in text_version:
        raise ValidationFailedError(details={"text_version": _("Name the version of the consent text.")})
    return Consent.objects.create(account_id=account_id, text_version=text_version, channel=channel[:20])


def personal_data(*, account_id: int) -> dict[str, Any]:
    """Everything `users` holds about a person, as plain JSON-able data."""
    profile = Profile.objects.filter(account_id=account_id).first()
    data: dict[str, Any] = {"profile": None}
    if profile is not None:
        data["profile"] = {
            field: getattr(profile, field)
            for field in ("first_name", "last_name", "phone", "language", "bio", "settings", "status", "active_role")
        }
        data["profile"]["avatar_media_id"] = str(profile.avatar_media_id) if profile.avatar_media_id else None
        data["profile"]["created_at"] = profile.created_at.isoformat()
        data["roles"] = sorted(profile.role_grants.values_list("role", flat=True))
        data["specializations"] = dict(profile.specializations.values_list("key", "level"))
    data["verification_applications"] = [
        {
            "specialization": a.specialization,
            "documents": a.documents,
            "comment": a.comment,
            "status": a.status,
            "reason": a.reason,
            "submitted_at": a.submitted_at.isoformat(),
        }
        for a in VerificationApplication.objects.filter(account_id=account_id).order_by("pk")
    ]
    data["consents"] = [
        {"text_version": c.text_version, "given_at": c.given_at.isoformat(), "channel": c.channel}
        for c in Consent.objects.filter(account_id=account_id).order_by("pk")
    ]
    data["apartment_links"] = [
        {
            "apartment_id": link.apartment_id,
            "relation": link.relation,
            "is_primary": link.is_primary,
            "status": link.status,
            "reason": link.reason,
            "document_media_id": str(link.document_media_id) if link.document_media_id else None,
            "created_at": link.created_at.isoformat(),
        }
        for link in ApartmentLink.objects.filter(profile_id=account_id).order_by("pk")
    ]
    data["invitations_used"] = list(
        Invitation.objects.filter(used_by=account_id).values_list("role", flat=True).order_by("pk")
    )
    # What the inviting manager wrote about them ("for Aziz, the new plumber") is about them too.
    data["invitation_notes"] = [
        note for note in Invitation.objects.filter(used_by=account_id).values_list("note", flat=True) if note
    ]
    return data


def person_export(*, account_id: int) -> dict[str, Any]:
    """Gather the person's data from every app that holds some, keyed by app.

    :raises NotFoundError: if no app knows the person.
    """
    export: dict[str, Any] = {"account_id": account_id, "exported_at": timezone.now().isoformat()}
    found = False
    for app in settings.DOMAIN_APPS:
        label = app.rsplit(".", 1)[-1]
        if label == "users":
            part = personal_data(account_id=account_id)
            found = found or part["profile"] is not None
        else:
            collect = getattr(import_module(f"{app}.public"), "personal_data", None)
            if collect is None:
                continue
            part = collect(account_id=account_id)
            found = found or bool(part)
        export[label] = part
    if not found:
        raise NotFoundError()
    return export


@transaction.atomic
def person_forget(*, account_id: int, requested_by: int | None) -> None:
    """Anonymise the person here and publish ``user.forgotten`` so every app does the same.

    Ids, roles and timestamps stay (they carry no personal data and keep statistics whole).

    :raises NotFoundError: if the person has no profile.
    """
    profile = Profile.objects.select_for_update().filter(account_id=account_id).first()
    if profile is None:
        raise NotFoundError()
    Profile.objects.filter(pk=profile.pk).update(
        first_name="",
        last_name="",
        phone="",
        bio="",
        avatar_media_id=None,
        settings={},
        status=FORGOTTEN_STATUS,
        updated_at=timezone.now(),
    )
    # The documents' files go with their ids (the media rows stay as nameless tombstones): once the ids are blanked
    # here, nothing would lead to them. Files the person uploaded themselves go again on user.forgotten (media).
    documents = [str(profile.avatar_media_id)] if profile.avatar_media_id else []
    for listed in VerificationApplication.objects.filter(account_id=account_id).values_list("documents", flat=True):
        documents += [str(media_id) for media_id in listed or []]
    documents += [
        str(media_id)
        for media_id in ApartmentLink.objects.filter(
            profile_id=account_id, document_media_id__isnull=False
        ).values_list("document_media_id", flat=True)
    ]
    if documents:
        media_public.files_forget(media_ids=documents)
    VerificationApplication.objects.filter(account_id=account_id).update(documents=[], comment="", reason="")
    # Where a person lives is personal: the links go (requests keep their apartment ids, so statistics stay whole).
    ApartmentLink.objects.filter(profile_id=account_id).delete()
    Invitation.objects.filter(used_by=account_id).exclude(note="").update(note="")
    # Signed out now, in this transaction: auth's handler of user.forgotten (which anonymises the account) runs
    # only when the relay delivers the event.
    auth_public.sessions_end(account_id=account_id, reason="forgotten")
    # Stored responses of their writes may quote what they sent (a request's description and phone).
    keys_forget(user_key=str(account_id))
    publish(
        USER_FORGOTTEN,
        subject=account_id,
        data=UserForgotten(account_id=account_id, requested_by=requested_by, timestamp=timezone.now().isoformat()),
    )
