"""Executor specializations and which one a request category needs (DESIGN §4).

The category keys belong to `requests`; they are repeated here only as the keys of the map, so that `users`
stays independent of `requests`. `requests` asks through :func:`ukbot.users.public.category_specialization`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_LEVEL = 1
MAX_LEVEL = 5


class SpecializationKey(models.TextChoices):
    ELECTRICIAN = "electrician", _("Electrician")
    PLUMBER = "plumber", _("Plumber")
    HEATING = "heating", _("Heating")
    VENTILATION = "ventilation", _("Ventilation")
    ELEVATOR = "elevator", _("Elevator")
    CLEANING = "cleaning", _("Cleaning")
    SECURITY = "security", _("Security")
    LANDSCAPING = "landscaping", _("Landscaping")
    REPAIR = "repair", _("Repair")
    # Matches every category: a handyman who can be sent anywhere.
    UNIVERSAL = "universal", _("Universal")


CATEGORY_SPECIALIZATION: dict[str, str] = {
    "electricity": SpecializationKey.ELECTRICIAN.value,
    "plumbing": SpecializationKey.PLUMBER.value,
    "heating": SpecializationKey.HEATING.value,
    "ventilation": SpecializationKey.VENTILATION.value,
    "elevator": SpecializationKey.ELEVATOR.value,
    "cleaning": SpecializationKey.CLEANING.value,
    "landscaping": SpecializationKey.LANDSCAPING.value,
    "security": SpecializationKey.SECURITY.value,
    # The intercom and building network are wired by electricians in the system in use today.
    "internet": SpecializationKey.ELECTRICIAN.value,
    "repair": SpecializationKey.REPAIR.value,
    "other": SpecializationKey.REPAIR.value,
}


def category_specialization(category: str) -> str:
    """Return the specialization key a request of ``category`` needs.

    :raises KeyError: for a category that DESIGN §4 does not list.
    """
    return CATEGORY_SPECIALIZATION[category]
