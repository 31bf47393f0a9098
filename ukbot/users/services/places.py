"""The place tree: yards (residential complexes), their buildings, entrances and apartments."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.users.models import Apartment, Building, Entrance, Yard
from ukbot.users.services.common import _clean, _details, _save


def _place_save(instance: models.Model, *, duplicate: str) -> None:
    _clean(instance)
    try:
        instance.validate_unique()
        instance.validate_constraints()
    except DjangoValidationError as exc:
        details = _details(exc)
        codes = {message.code for messages in exc.error_dict.values() for message in messages}
        if codes & {"unique", "unique_together"}:
            raise ConflictError(duplicate, details=details) from None
        raise ValidationFailedError(details=details) from None
    _save(instance)


@transaction.atomic
def yard_create(*, name: str, address: str = "") -> Yard:
    """Create a yard (residential complex).

    :raises ValidationFailedError: for an empty or overlong name or address.
    :raises ConflictError: if a yard with that name exists.
    """
    yard = Yard(name=name, address=address)
    _place_save(yard, duplicate=_("A yard with this name already exists."))
    return yard


@transaction.atomic
def building_create(
    *,
    yard_id: int,
    address: str,
    address_ru: str = "",
    address_uz: str = "",
    address_en: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Building:
    """Create a building in a yard; ``address`` is in the company's language, ``address_<language>`` how readers of
    another language write it (empty: they read ``address``); coordinates are degrees (latitude −90…90, longitude
    −180…180), both or neither.

    :raises ValidationFailedError: for an empty or overlong address or coordinates out of range or given alone.
    :raises NotFoundError: if the yard does not exist.
    :raises ConflictError: if the yard has a building at that address.
    """
    yard = Yard.objects.filter(pk=yard_id).first()
    if yard is None:
        raise NotFoundError(_("No such yard."))
    building = Building(
        yard=yard,
        address=address,
        address_ru=address_ru,
        address_uz=address_uz,
        address_en=address_en,
        latitude=latitude,
        longitude=longitude,
    )
    _place_save(building, duplicate=_("The yard already has a building at this address."))
    return building


@transaction.atomic
def entrance_create(*, building_id: int, number: int) -> Entrance:
    """Create an entrance of a building.

    :raises ValidationFailedError: for a number below 1.
    :raises NotFoundError: if the building does not exist.
    :raises ConflictError: if the building has an entrance with that number.
    """
    building = Building.objects.filter(pk=building_id).first()
    if building is None:
        raise NotFoundError(_("No such building."))
    entrance = Entrance(building=building, number=number)
    _place_save(entrance, duplicate=_("The building already has an entrance with this number."))
    return entrance


@transaction.atomic
def apartment_create(*, entrance_id: int, number: str, floor: int | None = None) -> Apartment:
    """Create an apartment in an entrance.

    :raises ValidationFailedError: for an empty number or a floor out of range.
    :raises NotFoundError: if the entrance does not exist.
    :raises ConflictError: if the entrance has an apartment with that number.
    """
    entrance = Entrance.objects.filter(pk=entrance_id).first()
    if entrance is None:
        raise NotFoundError(_("No such entrance."))
    apartment = Apartment(entrance=entrance, number=number, floor=floor)
    _place_save(apartment, duplicate=_("The entrance already has an apartment with this number."))
    return apartment
