"""Write use-cases of `users`: profiles, roles, specializations, the place tree, residents' apartments, staff
invitations, executor verification and personal data.

Every service is one transaction: it validates, writes, and publishes its events into the outbox in that same
transaction, so a refused call leaves nothing behind and no event. Services that change a person lock the
person's profile row first, which serialises concurrent changes to one person's roles.

One module per seam (``profiles``, ``roles``, ``places``, ``apartment_links``, ``invitations``, ``verification``,
``privacy``; ``common`` holds what they share); every public name is re-exported here, so callers write
``services.profile_create(...)``.
"""

from ukbot.users.services.apartment_links import (
    apartment_link_approve,
    apartment_link_document_set,
    apartment_link_reject,
    apartment_link_remove,
    apartment_link_request,
    apartment_primary_set,
)
from ukbot.users.services.invitations import (
    ALPHABET,
    EXPIRIES,
    INVITABLE_BY_MANAGERS,
    IssuedInvitation,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from ukbot.users.services.places import apartment_create, building_create, entrance_create, yard_create
from ukbot.users.services.privacy import FORGOTTEN_STATUS, consent_record, person_export, person_forget, personal_data
from ukbot.users.services.profiles import (
    PROFILE_UPDATABLE_FIELDS,
    admin_role_ensure,
    applicant_ensure,
    phone_normalise,
    profile_approve,
    profile_block,
    profile_create,
    profile_unblock,
    profile_update,
    profile_update_own,
)
from ukbot.users.services.roles import (
    active_role_switch,
    role_grant,
    role_revoke,
    specialization_remove,
    specialization_set,
)
from ukbot.users.services.verification import (
    MAX_DOCUMENTS,
    verification_add_documents,
    verification_apply,
    verification_review,
)

__all__ = [
    "ALPHABET",
    "EXPIRIES",
    "FORGOTTEN_STATUS",
    "INVITABLE_BY_MANAGERS",
    "MAX_DOCUMENTS",
    "PROFILE_UPDATABLE_FIELDS",
    "IssuedInvitation",
    "active_role_switch",
    "admin_role_ensure",
    "apartment_create",
    "apartment_link_approve",
    "apartment_link_document_set",
    "apartment_link_reject",
    "apartment_link_remove",
    "apartment_link_request",
    "apartment_primary_set",
    "applicant_ensure",
    "building_create",
    "consent_record",
    "entrance_create",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "person_export",
    "person_forget",
    "personal_data",
    "phone_normalise",
    "profile_approve",
    "profile_block",
    "profile_create",
    "profile_unblock",
    "profile_update",
    "profile_update_own",
    "role_grant",
    "role_revoke",
    "specialization_remove",
    "specialization_set",
    "verification_add_documents",
    "verification_apply",
    "verification_review",
    "yard_create",
]
