"""The tables of `media`: one row per uploaded file; the bytes live once per content in the storage."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the virus scan")
    CLEAN = "clean", _("clean")
    INFECTED = "infected", _("infected")
    NOT_SCANNED = "not_scanned", _("not scanned (no scanner configured)")
    ERROR = "error", _("scan failed; retrying")


class MediaFile(models.Model):
    """An uploaded file: who uploaded it, what it is (by its bytes), its checksum, scan status and owning object.

    ``storage_key`` is content-addressed (by sha256): files with the same bytes share one stored blob, which is
    removed when the last of them is deleted. ``attached_kind``/``attached_id`` name the object the file belongs
    to (``request``/``250101-001``, ``verification``/``12``); who may read the file follows that object's rules.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_id = models.BigIntegerField(_("owner"))
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.BigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=50)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_key = models.CharField(_("storage key"), max_length=200)
    scan_status = models.CharField(_("scan status"), max_length=12, choices=ScanStatus.choices)
    scan_signature = models.CharField(_("virus found"), max_length=200, blank=True, default="")
    scanned_at = models.DateTimeField(_("scanned at"), null=True, blank=True)
    attached_kind = models.CharField(_("attached to (kind)"), max_length=30, blank=True, default="")
    attached_id = models.CharField(_("attached to (id)"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        db_table = 'media"."file'
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["sha256"], name="media_file_sha256"),
            models.Index(fields=["owner_id", "created_at"], name="media_file_owner"),
            models.Index(fields=["attached_kind", "attached_id"], name="media_file_attached"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(scan_status__in=ScanStatus.values), name="media_file_scan_status"),
            models.CheckConstraint(condition=Q(size__gt=0), name="media_file_not_empty"),
            models.CheckConstraint(
                condition=Q(attached_kind="", attached_id="") | (~Q(attached_kind="") & ~Q(attached_id="")),
                name="media_file_attached_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.id})"
