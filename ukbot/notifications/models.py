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


# --- what to say to whom (decision 0010): templates, preferences, bulk sends ----------------------------------


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    UZ = "uz", _("Uzbek")
    EN = "en", _("English")


class Template(models.Model):
    """The text of one kind of message (``event_type``) for one channel and language, with ``{variables}``.

    Checked on save by :func:`ukbot.notifications.templates.validate` (the admin form and the API call it); a
    missing row falls back to the text shipped in :mod:`ukbot.notifications.defaults`.
    """

    event_type = models.CharField(_("kind of message"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    title = models.CharField(
        _("title"), max_length=200, blank=True, default="", help_text=_("The e-mail subject; may use variables.")
    )
    body = models.TextField(_("text"), help_text=_("Telegram: HTML with <b>, <i>, <a>; variables as {number}."))
    # Rows of inline buttons, as Notification.buttons; their strings may use variables too.
    buttons = models.JSONField(_("buttons"), default=list, blank=True)
    updated_by = models.BigIntegerField(_("updated by"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = 'notifications"."template'
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ("event_type", "channel", "language")
        constraints = [
            models.UniqueConstraint(
                fields=["event_type", "channel", "language"], name="template_event_channel_language_uniq"
            ),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="template_language_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="template_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} · {self.channel} · {self.language}"


def _company_time_zone() -> str:
    from django.conf import settings

    return settings.TIME_ZONE


class Preference(models.Model):
    """How a person wants to be told: their time zone, quiet hours, whether to follow every change, and whether to
    hear of their requests' progress.

    Quiet hours ``quiet_from``–``quiet_to`` are wall-clock times in ``time_zone`` and may span midnight (22:00–07:00);
    messages about emergencies (critical requests) ignore them. Channels on and off are ``ChannelSetting`` rows.
    ``progress_messages`` off silences the progress group of decision 0021 (an executor assigned or changed, work
    started, reported done or sent back); what needs the person's answer always comes.
    """

    account_id = models.BigIntegerField(_("account id"), unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=_company_time_zone)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_to = models.TimeField(_("quiet until"), null=True, blank=True)
    follow_all = models.BooleanField(
        _("follow every change"),
        default=False,
        help_text=_("Also tell the applicant when their request gets another executor."),
    )
    # db_default too: code of the release before this field still inserts rows while a deploy rolls out.
    progress_messages = models.BooleanField(
        _("progress messages"),
        default=True,
        db_default=True,
        help_text=_(
            "Tell the applicant when an executor is assigned, starts, reports the work done or is sent back to it. "
            "Questions, work to accept and cancellations always come."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = 'notifications"."preference'
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_from__isnull=True, quiet_to__isnull=True)
                | Q(quiet_from__isnull=False, quiet_to__isnull=False),
                name="preference_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.account_id}"


class BulkJob(models.Model):
    """One bulk send: who asked, to whom (a role, a building or a list), what, and how far it got."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    created_by = models.BigIntegerField(_("created by"))
    # {"role": "executor"} | {"building_id": 7} | {"account_ids": [1, 2]}
    audience = models.JSONField(_("audience"))
    audience_label = models.CharField(_("audience"), max_length=200, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # {"text": …, "title": …} or {"template": kind, "variables": {…}}
    message = models.JSONField(_("message"))
    urgent = models.BooleanField(_("urgent"), default=False)
    total = models.PositiveIntegerField(_("recipients"), default=0)
    queued = models.PositiveIntegerField(_("queued"), default=0)
    skipped = models.PositiveIntegerField(
        _("skipped"), default=0, help_text=_("Recipients with the channel off, or queued before (a re-run).")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        db_table = 'notifications"."bulk_job'
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="bulk_job_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.audience_label} ({self.status})"
