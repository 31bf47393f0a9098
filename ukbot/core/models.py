"""Tables of the shared kernel, in the ``core`` schema: the event outbox, deliveries, inbox, idempotency keys and
the admin audit log."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """One published event in CloudEvents 1.0 shape, written in the publisher's transaction."""

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    source = models.CharField(_("source"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200, blank=True, default="")
    time = models.DateTimeField(_("time"))
    data = models.JSONField(_("data"), default=dict)
    correlation_id = models.CharField(_("correlation id"), max_length=100, blank=True, default="")
    sequence = models.BigIntegerField(
        _("sequence"), null=True, blank=True, help_text=_("Position within the aggregate's stream.")
    )

    class Meta:
        db_table = 'core"."outbox'
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["source", "subject"], name="outbox_aggregate_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.subject} ({self.id})"


class Delivery(models.Model):
    """The state of one event for one subscribed handler; rows of one (handler, aggregate) are handled by id order."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        DEAD = "dead", _("dead letter")

    id = models.BigAutoField(_("id"), primary_key=True)
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    handler = models.CharField(_("handler"), max_length=200)
    aggregate = models.CharField(_("aggregate"), max_length=300, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    available_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        db_table = 'core"."delivery'
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="delivery_event_handler_uniq")]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                name="delivery_pending_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["handler", "aggregate", "id"],
                name="delivery_order_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["status"], name="delivery_status_idx", condition=~models.Q(status="done")),
        ]

    def __str__(self) -> str:
        return f"{self.handler} ← {self.event_id} [{self.status}]"


class InboxEntry(models.Model):
    """Proof that a handler processed an event, written in the handler's transaction (idempotency by event id)."""

    event_id = models.UUIDField()
    handler = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = 'core"."inbox'
        verbose_name_plural = "inbox entries"
        constraints = [models.UniqueConstraint(fields=["event_id", "handler"], name="inbox_event_handler_uniq")]

    def __str__(self) -> str:
        return f"{self.handler} ran {self.event_id}"


class AggregateSequence(models.Model):
    """Last sequence number per aggregate; its row lock orders concurrent publishers of one aggregate."""

    aggregate = models.CharField(max_length=300, primary_key=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        db_table = 'core"."aggregate_sequence'

    def __str__(self) -> str:
        return f"{self.aggregate} @ {self.last}"


class IdempotencyKey(models.Model):
    """A write request seen with an Idempotency-Key: its body hash and, once finished, the stored response."""

    user_key = models.CharField(max_length=100, help_text="Who sent it: account id, or anonymous.")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = 'core"."idempotency_key'
        constraints = [models.UniqueConstraint(fields=["user_key", "key"], name="idempotency_user_key_uniq")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class AdminAuditEntry(models.Model):
    """One change made in the admin, with the old and new value of each field (docs/decisions/0030).

    Written beside Django's LogEntry in the same transaction; kept for good: no purge touches it and the admin offers
    no way to add, change or delete one. It names the person by id and username at the time, so it outlives the
    account. Passwords, secrets and tokens are never stored: such a field shows as changed, without its values.
    """

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")

    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("account id"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("who"), max_length=150, blank=True, default="")
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    model = models.CharField(_("kind of record"), max_length=100, db_index=True)
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200, blank=True, default="")
    # {field: [old, new]}; a field not in the record at that moment (added, deleted) holds null on that side.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    message = models.TextField(_("change message"), blank=True, default="")
    log_entry_id = models.BigIntegerField(_("log entry"), null=True, blank=True)

    class Meta:
        db_table = 'core"."admin_audit_entry'
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ("-time", "-pk")
        indexes = [models.Index(fields=["model", "object_id"], name="admin_audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.model} {self.object_id}"
