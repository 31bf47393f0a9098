"""Roles and the scopes each carries (DESIGN §1, §8).

A person holds any number of roles (``users.role_grant``) and acts in one of them at a time, the *active* role
on the profile, which the bot lets them switch. The scopes in a token are those of the active role only: an
executor who also lives in a building does not carry ``write:shifts`` while acting as a resident, and switching
role is how they change what their next token may do. Resource rules (an applicant sees only their own requests)
sit on top of scopes, in each app.

Scopes are ``<level>:<resource>``; ``read`` < ``write`` < ``admin``, but each is granted explicitly (a role with
``admin:shifts`` also lists ``read:shifts``) so that a check is a plain membership test.

| scope | lets the holder |
|---|---|
| ``read:requests`` | read the requests the resource rules show them (own, co-residents', assigned, the pool) |
| ``write:requests`` | create requests, comment, and make their own moves of the state machine |
| ``admin:requests`` | triage, assign and re-assign, force-accept, cancel any request, read internal comments |
| ``read:users`` | read other people's profiles (everyone reads their own) |
| ``write:users`` | edit other people's profiles, moderate apartment links, review verifications, invite staff |
| ``admin:users`` | grant and revoke roles, block and unblock, export and forget people |
| ``read:shifts`` | read shifts and schedules (executors: their own) |
| ``write:shifts`` | start and end their shifts, ask for and accept transfers |
| ``admin:shifts`` | maintain templates, generate and edit plans, assign shifts |
| ``read:places`` | read the place tree (yards, buildings, entrances, apartments) |
| ``admin:places`` | maintain the place tree |
| ``write:media`` | upload and delete their attachments |
| ``admin:notifications`` | maintain templates, send bulk notifications, read delivery history |
| ``admin:integrations`` | configure Google Sheets sync and webhooks |
| ``read:analytics`` | read KPIs, dashboards and reports |
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Declared from most to least privileged: ``Role.ranked`` and the fallback active role follow this order.
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    EXECUTOR = "executor", _("Executor")
    INSPECTOR = "inspector", _("Inspector")
    APPLICANT = "applicant", _("Applicant")


READ_REQUESTS = "read:requests"
WRITE_REQUESTS = "write:requests"
ADMIN_REQUESTS = "admin:requests"
READ_USERS = "read:users"
WRITE_USERS = "write:users"
ADMIN_USERS = "admin:users"
READ_SHIFTS = "read:shifts"
WRITE_SHIFTS = "write:shifts"
ADMIN_SHIFTS = "admin:shifts"
READ_PLACES = "read:places"
ADMIN_PLACES = "admin:places"
WRITE_MEDIA = "write:media"
ADMIN_NOTIFICATIONS = "admin:notifications"
ADMIN_INTEGRATIONS = "admin:integrations"
READ_ANALYTICS = "read:analytics"

ALL_SCOPES: frozenset[str] = frozenset(
    {
        READ_REQUESTS,
        WRITE_REQUESTS,
        ADMIN_REQUESTS,
        READ_USERS,
        WRITE_USERS,
        ADMIN_USERS,
        READ_SHIFTS,
        WRITE_SHIFTS,
        ADMIN_SHIFTS,
        READ_PLACES,
        ADMIN_PLACES,
        WRITE_MEDIA,
        ADMIN_NOTIFICATIONS,
        ADMIN_INTEGRATIONS,
        READ_ANALYTICS,
    }
)

_RESIDENT = frozenset({READ_REQUESTS, WRITE_REQUESTS, READ_PLACES, WRITE_MEDIA})

ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.ADMIN: ALL_SCOPES,
    Role.MANAGER: frozenset(
        {
            READ_REQUESTS,
            WRITE_REQUESTS,
            ADMIN_REQUESTS,
            READ_USERS,
            WRITE_USERS,
            READ_SHIFTS,
            WRITE_SHIFTS,
            ADMIN_SHIFTS,
            READ_PLACES,
            WRITE_MEDIA,
            # dispatchers keep residents informed: sends, bulk sends, templates and delivery history
            ADMIN_NOTIFICATIONS,
            READ_ANALYTICS,
        }
    ),
    Role.EXECUTOR: _RESIDENT | {READ_SHIFTS, WRITE_SHIFTS},
    Role.INSPECTOR: _RESIDENT,
    Role.APPLICANT: _RESIDENT,
}


def scopes_for(role: str | None) -> tuple[str, ...]:
    """Return the sorted scopes of ``role``; none for no role or an unknown one."""
    return tuple(sorted(ROLE_SCOPES.get(role or "", ())))


def ranked(roles: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    """Return ``roles`` ordered from most to least privileged (unknown names dropped)."""
    return [role for role in Role.values if role in set(roles)]
