"""The place tree: yards, buildings, entrances and apartments, edited as plain model forms (they have no events)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ukbot.users.models import Apartment, Building, Entrance, Yard


class BuildingInline(admin.TabularInline):
    model = Building
    fields = ("address", "latitude", "longitude")
    extra = 0
    show_change_link = True


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
    list_display = ("address", "yard", "latitude", "longitude")
    list_filter = ("yard",)
    search_fields = ("address", "yard__name")
    list_select_related = ("yard",)
    inlines = [EntranceInline]


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
