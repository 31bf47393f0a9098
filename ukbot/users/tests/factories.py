"""Plain factory functions for the users tests: accounts come from `auth` through Django's user model."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model

from ukbot.core.models import OutboxEvent
from ukbot.users import services
from ukbot.users.models import Apartment, Building, Entrance, Profile, Yard

_serial = itertools.count(1)


def account_id() -> int:
    """Create an account and return its id, the person's id in every app."""
    return get_user_model().objects.create_user(username=f"person-{next(_serial)}").pk


def profile(*, roles: tuple[str, ...] = (), **fields) -> Profile:
    """Create an account and its profile through the services, with ``roles`` granted in order."""
    created = services.profile_create(account_id=account_id(), **fields)
    for role in roles:
        services.role_grant(account_id=created.account_id, role=role, granted_by=None)
    created.refresh_from_db()
    return created


def building(*, address: str = "Amir Temur 1", latitude: str = "41.311081", longitude: str = "69.240562") -> Building:
    yard = Yard.objects.create(name=f"Yard {next(_serial)}")
    return services.building_create(
        yard_id=yard.pk, address=address, latitude=Decimal(latitude), longitude=Decimal(longitude)
    )


def apartment(*, number: str = "12", floor: int = 3) -> Apartment:
    entrance = Entrance.objects.create(building=building(), number=1)
    return services.apartment_create(entrance_id=entrance.pk, number=number, floor=floor)


def events(type_name: str | None = None) -> list[tuple[str, str, dict]]:
    """The outbox so far, in publishing order: ``(type, subject, data)``."""
    rows = OutboxEvent.objects.order_by("time", "sequence")
    if type_name:
        rows = rows.filter(type=type_name)
    return [(row.type, row.subject, row.data) for row in rows]
