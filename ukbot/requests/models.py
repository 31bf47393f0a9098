"""Requests (заявки): numbered ``YYMMDD-NNN`` per day in the company's time zone, with their status history."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.requests.statuses import Category, Source, Status, Urgency


class DayCounter(models.Model):
    """The last request number given out on a day; its row lock serialises the day's creators."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = 'requests"."day_counter'

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Request(models.Model):
    number = models.CharField(_("number"), max_length=16, primary_key=True)
    day = models.DateField(_("day"), editable=False)
    seq = models.PositiveIntegerField(_("number in the day"), editable=False)
    applicant_id = models.BigIntegerField(_("applicant"), db_index=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.API)
    created_by = models.BigIntegerField(_("created by"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.MEDIUM)
    # the address as it was when the request was made (ids from `users`, plus the text people read)
    building_id = models.BigIntegerField(_("building"), null=True, blank=True, db_index=True)
    yard_id = models.BigIntegerField(_("yard"), null=True, blank=True, db_index=True)
    apartment_id = models.BigIntegerField(_("apartment"), null=True, blank=True, db_index=True)
    entrance = models.CharField(_("entrance"), max_length=10, blank=True, default="")
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    description = models.TextField(_("description"), max_length=4000)
    contact_phone = models.CharField(_("contact phone"), max_length=16, blank=True, default="")
    visit_from = models.DateTimeField(_("visit from"), null=True, blank=True)
    visit_to = models.DateTimeField(_("visit to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    status_before_clarification = models.CharField(max_length=20, choices=Status.choices, blank=True, default="")
    executor_id = models.BigIntegerField(_("executor"), null=True, blank=True, db_index=True)
    reaction_deadline = models.DateTimeField(_("reaction deadline"), null=True, blank=True)
    resolution_deadline = models.DateTimeField(_("resolution deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False, db_index=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback = models.TextField(_("feedback"), max_length=2000, blank=True, default="")
    reaction_breached_at = models.DateTimeField(_("reaction overdue since"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution overdue since"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("possible duplicate of"),
        help_text=_("An open request for the same apartment and category filed shortly before this one."),
    )
    version = models.PositiveIntegerField(default=1, help_text=_("Grows with every change (optimistic locking)."))

    class Meta:
        db_table = 'requests"."request'
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ("-day", "-seq")
        constraints = [
            models.UniqueConstraint(fields=["day", "seq"], name="request_day_seq_uniq"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="request_status_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="request_category_valid"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="request_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class HistoryAction(models.TextChoices):
    CREATED = "created", _("created")
    MOVED = "moved", _("status changed")
    REASSIGNED = "reassigned", _("executor changed")
    EDITED = "edited", _("details edited")


class StatusChange(models.Model):
    """One entry of a request's history: who, when, what (a move: from, to), why."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="history", verbose_name=_("request"))
    actor_id = models.BigIntegerField(_("who"), null=True, blank=True)
    actor_kind = models.CharField(_("as"), max_length=10)
    action = models.CharField(_("what"), max_length=12, choices=HistoryAction.choices, default=HistoryAction.MOVED)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    reason = models.TextField(_("reason"), max_length=2000, blank=True, default="")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        db_table = 'requests"."status_change'
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '—'} → {self.to_status}"


class Comment(models.Model):
    """A comment on a request: public (the applicant sees it) or internal (staff only)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="comments", verbose_name=_("request"))
    author_id = models.BigIntegerField(_("author"))
    author_kind = models.CharField(_("as"), max_length=10)
    text = models.TextField(_("text"), max_length=4000)
    internal = models.BooleanField(_("internal"), default=False, help_text=_("Staff only; never shown to applicants."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = 'requests"."comment'
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} #{self.pk}"


class AttachmentKind(models.TextChoices):
    BEFORE = "before", _("photo before")
    AFTER = "after", _("photo after")
    DOCUMENT = "document", _("document")
    RETURN = "return", _("photo with a return")


class Attachment(models.Model):
    """A file (a media id from `media`) attached to a request: a photo before or after the work, or a document."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("request")
    )
    media_id = models.UUIDField(_("media id"))
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    added_by = models.BigIntegerField(_("added by"))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        db_table = 'requests"."attachment'
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("added_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=["request", "media_id"], name="attachment_once_per_request"),
            models.CheckConstraint(condition=Q(kind__in=AttachmentKind.values), name="attachment_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.kind} {self.media_id}"


class MaterialStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    ISSUED = "issued", _("issued")
    REJECTED = "rejected", _("rejected")


class Material(models.Model):
    """An item the executor needs for the work: requested → approved → issued, or rejected (with a reason)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="materials", verbose_name=_("request"))
    item = models.CharField(_("item"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=MaterialStatus.choices, default=MaterialStatus.REQUESTED
    )
    requested_by = models.BigIntegerField(_("requested by"))
    decided_by = models.BigIntegerField(_("decided by"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = 'requests"."material'
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ("created_at", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="material_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=MaterialStatus.values), name="material_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity} {self.unit}"


class SlaPolicy(models.Model):
    """How soon a request of an urgency must be taken (reaction) and finished (resolution); edited in admin."""

    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, primary_key=True)
    reaction_minutes = models.PositiveIntegerField(
        _("reaction, minutes"), help_text=_("From creation until an executor is assigned.")
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution, minutes"), help_text=_("From creation until the executor reports the work done.")
    )

    class Meta:
        db_table = 'requests"."sla_policy'
        verbose_name = _("SLA by urgency")
        verbose_name_plural = _("SLA by urgency")
        constraints = [
            models.CheckConstraint(
                condition=Q(reaction_minutes__gt=0) & Q(resolution_minutes__gte=models.F("reaction_minutes")),
                name="sla_policy_sane",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_urgency_display())


class Settings(models.Model):
    """Company-wide rules of the request lifecycle: one row (pk 1), edited in admin."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    manager_check = models.BooleanField(
        _("managers check completed work"),
        default=True,
        help_text=_("When off, completed requests go straight to the applicant for acceptance."),
    )
    auto_accept_days = models.PositiveSmallIntegerField(
        _("auto-accept after, days"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Confirmed work the applicant neither accepts nor returns is accepted after this many days."),
    )
    duplicate_window_hours = models.PositiveSmallIntegerField(
        _("duplicate warning window, hours"),
        default=24,
        validators=[MaxValueValidator(720)],
        help_text=_("A new request for the same apartment and category as an open one this recent is flagged."),
    )

    class Meta:
        db_table = 'requests"."settings'
        verbose_name = _("request settings")
        verbose_name_plural = _("request settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="settings_single_row")]

    def __str__(self) -> str:
        return str(_("Request settings"))
