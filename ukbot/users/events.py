"""Events published by `users` (its public contract): names and payload types.

Every event's subject is the account id. Payloads carry ids and non-personal facts; a consumer that needs a name
or a phone asks :mod:`ukbot.users.public`, so that forgetting a person does not leave copies in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from ukbot.core.events import EventCatalogue

catalogue = EventCatalogue("users")


@dataclass(frozen=True)
class UserCreated:
    """A profile was created for an account (``user.created``)."""

    account_id: int
    roles: list[str]
    active_role: str | None
    status: str
    language: str


@dataclass(frozen=True)
class UserRoleChanged:
    """A role was granted or revoked (``user.role_changed``); roles are sorted, active_role is the one after."""

    account_id: int
    old_roles: list[str]
    new_roles: list[str]
    active_role: str | None
    changed_by: int | None


@dataclass(frozen=True)
class UserProfileUpdated:
    """Profile fields changed (``user.profile_updated``): names only, sorted; ``status`` is the one after.

    Switching the active role, blocking and unblocking are profile updates too (``active_role``, ``status``):
    `auth` listens to re-issue or revoke tokens.
    """

    account_id: int
    changed_fields: list[str]
    status: str
    active_role: str | None


@dataclass(frozen=True)
class UserVerified:
    """An executor's verification application was approved (``user.verified``); the executor role was granted."""

    account_id: int
    application_id: int
    specialization: str
    verification_type: str
    reviewed_by: int | None


@dataclass(frozen=True)
class UserForgotten:
    """A person asked to be forgotten (``user.forgotten``): every app anonymises what it holds about them."""

    account_id: int
    requested_by: int | None
    timestamp: str


@dataclass(frozen=True)
class VerificationSubmitted:
    """A person applied to be verified as an executor (``user.verification_submitted``): managers review it."""

    account_id: int
    application_id: int
    specialization: str


@dataclass(frozen=True)
class VerificationRejected:
    """A verification application was rejected (``user.verification_rejected``).

    The reason is not in the payload (it is about the person): ask ``users.public.verification_brief``.
    """

    account_id: int
    application_id: int
    specialization: str
    reviewed_by: int | None


@dataclass(frozen=True)
class ApartmentLinkRequested:
    """A resident asked to be linked to an apartment (``user.apartment_link_requested``): managers moderate it."""

    account_id: int
    link_id: int
    apartment_id: int
    relation: str


@dataclass(frozen=True)
class ApartmentLinkDecided:
    """A manager approved or rejected an apartment link (``user.apartment_link_decided``); ``status`` is the one after.

    The reason of a rejection is not in the payload: ask ``users.public.apartment_link_brief``.
    """

    account_id: int
    link_id: int
    apartment_id: int
    status: str
    reviewed_by: int


# Event types come after their payloads: define() checks each class.
USER_CREATED = catalogue.define("user.created", payload=UserCreated)
USER_VERIFIED = catalogue.define("user.verified", payload=UserVerified)
USER_ROLE_CHANGED = catalogue.define("user.role_changed", payload=UserRoleChanged)
USER_PROFILE_UPDATED = catalogue.define("user.profile_updated", payload=UserProfileUpdated)
USER_FORGOTTEN = catalogue.define("user.forgotten", payload=UserForgotten)
USER_VERIFICATION_SUBMITTED = catalogue.define("user.verification_submitted", payload=VerificationSubmitted)
USER_VERIFICATION_REJECTED = catalogue.define("user.verification_rejected", payload=VerificationRejected)
USER_APARTMENT_LINK_REQUESTED = catalogue.define("user.apartment_link_requested", payload=ApartmentLinkRequested)
USER_APARTMENT_LINK_DECIDED = catalogue.define("user.apartment_link_decided", payload=ApartmentLinkDecided)
