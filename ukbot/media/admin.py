"""Admin: a read-only list of uploaded files, with image thumbnails through short-lived signed links."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ukbot.media import public
from ukbot.media.models import MediaFile

THUMBNAIL_TTL = 600  # long enough to look at the page, short enough that a copied link soon stops working


@admin.register(MediaFile)
class MediaFileAdmin(admin.ModelAdmin):
    list_display = ("thumbnail", "original_name", "owner_id", "content_type", "size_display", "scan_status", "attached")
    list_filter = ("scan_status", "content_type", "attached_kind")
    search_fields = ("=id", "original_name", "sha256", "=attached_id")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in MediaFile._meta.fields] + ["thumbnail"]

    class Media:
        css = {"all": (public.PREVIEW_CSS,)}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MediaFile | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MediaFile | None = None) -> bool:
        return False  # deletes go through the API (media.deleted, shared blobs)

    @admin.display(description=_("preview"))
    def thumbnail(self, obj: MediaFile) -> str:
        if obj.deleted_at is not None:
            return str(_("deleted"))
        return public.preview_html(media_id=obj.pk, ttl=THUMBNAIL_TTL)

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj: MediaFile) -> str:
        return filesizeformat(obj.size)

    @admin.display(description=_("attached to"), ordering="attached_kind")
    def attached(self, obj: MediaFile) -> str:
        return f"{obj.attached_kind} {obj.attached_id}" if obj.attached_kind else "—"
