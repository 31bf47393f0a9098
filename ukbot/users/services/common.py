"""What the `users` services share: model validation as the app's errors, the profile lock, saving with
conflicts mapped, and the ``user.profile_updated`` event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, ErrorDetail, NotFoundError, ValidationFailedError
from ukbot.core.events import publish
from ukbot.users.events import USER_PROFILE_UPDATED, UserProfileUpdated
from ukbot.users.models import Profile


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


def _phone_conflict() -> ConflictError:
    message = _("This phone number belongs to another person.")
    return ConflictError(message, details={"phone": message})


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
