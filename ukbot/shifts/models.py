"""Shifts: an executor works a specialization from a start to an end. Templates and planning come later."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShiftStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ACTIVE = "active", _("on shift")
    COMPLETED = "completed", _("completed")


class Shift(models.Model):
    executor_id = models.BigIntegerField(_("executor"), db_index=True)
    specialization = models.CharField(_("specialization"), max_length=20)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("started at"), null=True, blank=True)
    actual_end = models.DateTimeField(_("ended at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ShiftStatus.choices, default=ShiftStatus.PLANNED)
    start_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    start_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    end_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    end_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # the last live location shared on this shift (the events keep them all): where dispatch measures travel from
    last_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_located_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = 'shifts"."shift'
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ShiftStatus.values), name="shift_status_valid"),
            # one shift at a time: an executor cannot be on two shifts at once
            models.UniqueConstraint(
                fields=["executor_id"], condition=Q(status="active"), name="shift_one_active_per_executor"
            ),
        ]
        indexes = [models.Index(fields=["specialization"], name="shift_active_trade_idx", condition=Q(status="active"))]

    def __str__(self) -> str:
        return f"#{self.executor_id} {self.specialization} [{self.status}]"
