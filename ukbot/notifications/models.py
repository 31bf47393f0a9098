"""The delivery half of `notifications` (docs/decisions/0010, 0011): the queue, its attempts, channels per person."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("push")


class Notification(models.Model):
    """One message to one person over one channel: the queue row, from `queued` to `sent` or `failed`."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    account_id = models.BigIntegerField(_("account id"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    event_type = models.CharField(_("event type"), max_length=64)
    subject = models.CharField(_("subject"), max_length=64, blank=True, default="")
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    text = models.TextField(_("text"))
    # Rows of inline buttons: [[{"text": …, "callback_data": …} | {"text": …, "url": …}, …], …]
    buttons = models.JSONField(_("buttons"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    urgent = models.BooleanField(_("urgent"), default=False)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, null=True, blank=True, unique=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    bulk_job_id = models.BigIntegerField(_("bulk job id"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # A worker owns a `sending` row until lease_until; the token tells its claim from a later one.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    lease_token = models.UUIDField(_("lease token"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    failure_reason = models.CharField(_("failure reason"), max_length=32, blank=True, default="")
    provider_message_id = models.CharField(_("provider message id"), max_length=128, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        db_table = 'notifications"."notification'
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The claim: due queued rows, urgent first, then by due time.
            models.Index(
                fields=["-urgent", "next_attempt_at", "id"], name="notification_due_idx", condition=Q(status="queued")
            ),
            # Recovery: `sending` rows whose worker's lease ran out.
            models.Index(fields=["lease_until"], name="notification_lease_idx", condition=Q(status="sending")),
            models.Index(fields=["account_id", "created_at"], name="notification_account_idx"),
            models.Index(fields=["bulk_job_id"], name="notification_bulk_idx", condition=Q(bulk_job_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.account_id}: {self.event_type} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try to hand a notification to its channel; written before the call (`in_flight`), finished after."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")
        OK = "ok", _("delivered")
        RETRY = "retry", _("to retry")
        BLOCKED = "blocked", _("blocked by the recipient")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("unknown (worker stopped during the call)")

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
        verbose_name=_("notification"),
        db_index=False,  # the unique (notification, number) index serves look-ups by notification
    )
    number = models.PositiveIntegerField(_("attempt number"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.IN_FLIGHT)
    status_code = models.IntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    retry_after = models.FloatField(_("retry after (s)"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=128, blank=True, default="")
    worker = models.CharField(_("worker"), max_length=100, blank=True, default="")
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        db_table = 'notifications"."delivery_attempt'
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [models.UniqueConstraint(fields=["notification", "number"], name="delivery_attempt_number_uniq")]

    def __str__(self) -> str:
        return f"{self.notification_id} #{self.number}: {self.outcome}"


class ChannelSetting(models.Model):
    """Whether a person receives anything over a channel; a blocked bot turns Telegram off (`bot_blocked`)."""

    class Reason(models.TextChoices):
        NONE = "", _("none")
        BOT_BLOCKED = "bot_blocked", _("the person blocked the bot")
        USER = "user", _("turned off by the person")
        ADMIN = "admin", _("turned off by staff")

    account_id = models.BigIntegerField(_("account id"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(
        _("why it is off"), max_length=20, choices=Reason.choices, blank=True, default=""
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = 'notifications"."channel_setting'
        verbose_name = _("channel setting")
        verbose_name_plural = _("channel settings")
        constraints = [
            models.UniqueConstraint(fields=["account_id", "channel"], name="channel_setting_account_channel_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.channel}: {'on' if self.enabled else 'off'}"
