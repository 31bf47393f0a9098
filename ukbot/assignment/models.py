"""Assignment's tables, in schema ``assignment``: the dispatch settings (one row, with its history of changes) and
the log of every assignment made (decision 0037)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

WEIGHT: dict[str, Any] = {
    "max_digits": 6,
    "decimal_places": 2,
    "validators": [MinValueValidator(0), MaxValueValidator(1000)],
}


class Settings(models.Model):
    """How dispatch weighs candidates and how much work one executor may hold: one row (pk 1), edited in admin."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    weight_skill = models.DecimalField(
        _("weight of skill"), default=Decimal("1.00"), help_text=_("The executor's level in the trade (1–5)."), **WEIGHT
    )
    weight_travel = models.DecimalField(
        _("weight of travel"),
        default=Decimal("2.00"),
        help_text=_("How soon the executor can be at the building."),
        **WEIGHT,
    )
    weight_load = models.DecimalField(
        _("weight of load"),
        default=Decimal("1.50"),
        help_text=_("How much of the executor's capacity is still free."),
        **WEIGHT,
    )
    weight_rating = models.DecimalField(
        _("weight of rating"), default=Decimal("1.00"), help_text=_("The applicants' recent ratings."), **WEIGHT
    )
    weight_returns = models.DecimalField(
        _("weight of returns"),
        default=Decimal("1.00"),
        help_text=_("How rarely applicants sent the executor's work back."),
        **WEIGHT,
    )
    weight_shift_time = models.DecimalField(
        _("weight of shift time"),
        default=Decimal("0.50"),
        help_text=_("How much of the executor's shift is left."),
        **WEIGHT,
    )
    capacity = models.PositiveSmallIntegerField(
        _("open requests per executor"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Nobody is given more requests in hand than this."),
    )
    road_factor = models.DecimalField(
        _("road factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.30"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How much longer the road is than the straight line."),
    )
    speed_kmh = models.DecimalField(
        _("city speed, km/h"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("25.0"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(200)],
        help_text=_("The average speed of getting around the city."),
    )
    track_record_days = models.PositiveSmallIntegerField(
        _("track record, days"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("Ratings and returns of this many recent days count."),
    )

    class Meta:
        db_table = 'assignment"."settings'
        verbose_name = _("dispatch settings")
        verbose_name_plural = _("dispatch settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="assignment_settings_single_row"),
            models.CheckConstraint(
                condition=Q(
                    weight_skill__gte=0,
                    weight_travel__gte=0,
                    weight_load__gte=0,
                    weight_rating__gte=0,
                    weight_returns__gte=0,
                    weight_shift_time__gte=0,
                ),
                name="assignment_settings_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(weight_skill__gt=0)
                | Q(weight_travel__gt=0)
                | Q(weight_load__gt=0)
                | Q(weight_rating__gt=0)
                | Q(weight_returns__gt=0)
                | Q(weight_shift_time__gt=0),
                name="assignment_settings_some_weight",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="assignment_settings_capacity_positive"),
            models.CheckConstraint(condition=Q(road_factor__gte=1), name="assignment_settings_road_factor_min"),
            models.CheckConstraint(condition=Q(speed_kmh__gt=0), name="assignment_settings_speed_positive"),
        ]

    def __str__(self) -> str:
        return str(_("Dispatch settings"))


class SettingsChange(models.Model):
    """One change of the dispatch settings: who made it, when, and each field's old and new value."""

    changed_by = models.BigIntegerField(_("changed by"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)
    changes = models.JSONField(_("changes"), help_text=_("Each changed field: [old, new]."))

    class Meta:
        db_table = 'assignment"."settings_change'
        verbose_name = _("change of dispatch settings")
        verbose_name_plural = _("changes of dispatch settings")
        ordering = ("-changed_at", "-pk")

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} #{self.changed_by or '—'}"


class Algorithm(models.TextChoices):
    MANUAL = "manual", _("manual")
    AUTO = "auto", _("auto")
    BATCH = "batch", _("batch")


class Assignment(models.Model):
    """One assignment made: which request went to whom, how it was decided, and the score behind it.

    ``parts`` are the chosen executor's score parts as the ranking gave them (empty when they could not be scored);
    ``exclusions`` the reasons the ranking would have excluded them (a manager may overrule off shift and a missed
    deadline). ``recommended_*`` name the top recommendation at the time: a manual choice records what it
    overrode.
    """

    request_number = models.CharField(_("request"), max_length=16, db_index=True)
    executor_id = models.BigIntegerField(_("executor"), db_index=True)
    previous_executor_id = models.BigIntegerField(_("previous executor"), null=True, blank=True)
    algorithm = models.CharField(_("algorithm"), max_length=10, choices=Algorithm.choices)
    score = models.FloatField(_("score"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(
        _("place in the ranking"), null=True, blank=True, help_text=_("Empty when the ranking excluded the executor.")
    )
    parts = models.JSONField(_("score parts"), default=list, blank=True)
    exclusions = models.JSONField(_("exclusions overruled"), default=list, blank=True)
    recommended_executor_id = models.BigIntegerField(_("recommended executor"), null=True, blank=True)
    recommended_score = models.FloatField(_("recommended score"), null=True, blank=True)
    decided_by = models.BigIntegerField(
        _("decided by"), null=True, blank=True, help_text=_("Who chose; empty when the system did.")
    )
    reason = models.CharField(_("reason"), max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        db_table = 'assignment"."assignment'
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=Q(algorithm__in=Algorithm.values), name="assignment_algorithm_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.request_number} → #{self.executor_id} ({self.algorithm})"

    @property
    def overrode(self) -> bool:
        """Whether the choice differs from the top recommendation (there was one, and another executor got it)."""
        return self.recommended_executor_id is not None and self.recommended_executor_id != self.executor_id
