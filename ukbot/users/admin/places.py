"""The place tree: yards, buildings, entrances and apartments, edited as plain model forms (they have no events)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ukbot.users.models import ADDRESS_FIELDS, Apartment, Building, Entrance, Yard

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec


def _address_versions() -> tuple[str, ...]:
    """The columns of a building's address in the languages other than the company's (decision 0020): `address`
    is the company's version, so its own column is not offered."""
    return tuple(field for code, field in ADDRESS_FIELDS.items() if code != settings.LANGUAGE_CODE)


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0
    show_change_link = True

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return ("address", *_address_versions(), "latitude", "longitude")


class EntranceInline(admin.TabularInline):
    model = Entrance
    fields = ("number",)
    extra = 0
    show_change_link = True


class ApartmentInline(admin.TabularInline):
    model = Apartment
    fields = ("number", "floor")
    extra = 0


@admin.register(Yard)
class YardAdmin(admin.ModelAdmin):
    list_display = ("name", "address")
    search_fields = ("name", "address")
    inlines = [BuildingInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_filter = ("yard",)
    search_fields = ("address", *ADDRESS_FIELDS.values(), "yard__name")
    list_select_related = ("yard",)
    inlines = [EntranceInline]

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return ("address", *_address_versions(), "yard", "latitude", "longitude")

    def get_fieldsets(self, request: HttpRequest, obj: Building | None = None) -> _FieldsetSpec:
        return [
            (None, {"fields": ("yard", "address", "latitude", "longitude")}),
            (
                _("The address in other languages"),
                {
                    "fields": _address_versions(),
                    "description": _("How readers of each language write it; left empty, they read the address."),
                },
            ),
        ]


@admin.register(Entrance)
class EntranceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "building", "number")
    list_filter = ("building__yard",)
    search_fields = ("building__address",)
    list_select_related = ("building",)
    inlines = [ApartmentInline]


@admin.register(Apartment)
class ApartmentAdmin(admin.ModelAdmin):
    list_display = ("number", "floor", "entrance", "building")
    list_filter = ("entrance__building__yard",)
    search_fields = ("number", "entrance__building__address")
    list_select_related = ("entrance__building",)

    @admin.display(description=_("building"), ordering="entrance__building__address")
    def building(self, obj: Apartment) -> Building:
        return obj.entrance.building
