"""Write use-cases of the routing half of `notifications` (decision 0010): tell a person, templates, preferences,
manual and bulk sends. Queueing and delivery are the other half's (:func:`ukbot.notifications.delivery.enqueue`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.notifications import delivery, templates
from ukbot.notifications.defaults import HTML_CHANNELS
from ukbot.notifications.models import BulkJob, Channel, ChannelSetting, Notification, Preference, Template
from ukbot.users import public as users_public

logger = logging.getLogger(__name__)

MANUAL = "notification.message"  # the kind of a message typed by staff (no template)
MAX_TEXT = 4000
BULK_BATCH = 500


# --- preferences -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceView:
    """A person's notification settings: channels on/off, time zone, quiet hours, follow every change."""

    account_id: int
    channels: dict[str, bool]
    time_zone: str
    quiet_from: time | None
    quiet_to: time | None
    follow_all: bool


def _preference(account_id: int) -> Preference:
    return Preference.objects.filter(account_id=account_id).first() or Preference(account_id=account_id)


def channels_on(*, account_id: int) -> dict[str, bool]:
    """Which channels reach the person: Telegram unless they turned it off; the others only once turned on."""
    rows = dict(ChannelSetting.objects.filter(account_id=account_id).values_list("channel", "enabled"))
    return {channel: rows.get(channel, channel == Channel.TELEGRAM) for channel in Channel.values}


def preference_get(*, account_id: int) -> PreferenceView:
    """Return the person's settings (the defaults when they never changed them)."""
    pref = _preference(account_id)
    return PreferenceView(
        account_id=account_id,
        channels=channels_on(account_id=account_id),
        time_zone=pref.time_zone,
        quiet_from=pref.quiet_from,
        quiet_to=pref.quiet_to,
        follow_all=pref.follow_all,
    )


_UNSET: Any = object()


def _check_time_zone(name: Any) -> str:
    if not isinstance(name, str) or name not in available_timezones():
        raise ValidationFailedError(
            details={"time_zone": _("Unknown time zone; use an IANA name such as Asia/Tashkent.")}
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailedError(details={"time_zone": _("Unknown time zone.")}) from None
    return name


@transaction.atomic
def preference_set(
    *,
    account_id: int,
    channels: dict[str, bool] | None = None,
    time_zone: str | None = None,
    quiet_from: time | None = _UNSET,
    quiet_to: time | None = _UNSET,
    follow_all: bool | None = None,
) -> PreferenceView:
    """Change the person's settings; only what is given changes. Channels are written as ``ChannelSetting`` rows.

    :raises ValidationFailedError: an unknown channel or time zone; only one end of the quiet hours.
    """
    unknown = sorted(set(channels or {}) - set(Channel.values))
    if unknown:
        raise ValidationFailedError(details={f"channels.{name}": _("Unknown channel.") for name in unknown})
    pref = Preference.objects.select_for_update().filter(account_id=account_id).first() or Preference(
        account_id=account_id
    )
    if time_zone is not None:
        pref.time_zone = _check_time_zone(time_zone)
    if quiet_from is not _UNSET:
        pref.quiet_from = quiet_from
    if quiet_to is not _UNSET:
        pref.quiet_to = quiet_to
    if (pref.quiet_from is None) != (pref.quiet_to is None):
        raise ValidationFailedError(details={"quiet_to": _("Give both ends of the quiet hours, or neither.")})
    if follow_all is not None:
        pref.follow_all = follow_all
    pref.save()
    for channel, enabled in (channels or {}).items():
        setting, _created = ChannelSetting.objects.select_for_update().get_or_create(
            account_id=account_id, channel=channel, defaults={"enabled": enabled}
        )
        if not _created and setting.enabled != enabled:
            setting.enabled = enabled
            setting.disabled_reason = "" if enabled else ChannelSetting.Reason.USER
            setting.save(update_fields=["enabled", "disabled_reason", "updated_at"])
        elif _created and not enabled:
            setting.disabled_reason = ChannelSetting.Reason.USER
            setting.save(update_fields=["disabled_reason", "updated_at"])
    return preference_get(account_id=account_id)


def quiet_until(*, time_zone: str, quiet_from: time | None, quiet_to: time | None, now: datetime) -> datetime | None:
    """When the person's quiet hours end, if ``now`` falls inside them (wall-clock times in ``time_zone``)."""
    if quiet_from is None or quiet_to is None or quiet_from == quiet_to:
        return None
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    clock, day = local.time().replace(tzinfo=None), local.date()
    if quiet_from < quiet_to:
        inside = quiet_from <= clock < quiet_to
    else:  # spans midnight, e.g. 22:00 to 07:00
        inside = clock >= quiet_from or clock < quiet_to
        if clock >= quiet_from:
            day += timedelta(days=1)
    if not inside:
        return None
    return datetime.combine(day, quiet_to, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def local_time(value: str | datetime | None, *, account_id: int) -> str:
    """A moment as the person reads it, ``15.01.2026 18:00`` in their time zone; empty for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    try:
        zone = ZoneInfo(_preference(account_id).time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return f"{moment.astimezone(zone):%d.%m.%Y %H:%M}"


# --- telling a person --------------------------------------------------------------------------------------------

Variables = dict[str, Any] | Callable[[str], dict[str, Any]]


def notify(
    *,
    account_id: int,
    kind: str,
    variables: Variables,
    dedupe: str,
    subject: str = "",
    urgent: bool = False,
    language: str | None = None,
    bulk_job_id: int | None = None,
) -> list[Notification]:
    """Queue the message of ``kind`` to the person on each channel they have on, in their language.

    ``variables`` is a dict or a function of the language (labels such as a status are translated per person).
    Quiet hours hold the message until they end unless it is ``urgent``. ``dedupe`` (an event id, a bulk job)
    with the person and channel makes the dedupe key, so running the same handler twice queues nothing new.
    """
    language = language or users_public.profile_language(account_id=account_id)
    values = variables(language) if callable(variables) else variables
    pref = _preference(account_id)
    not_before = (
        None
        if urgent
        else quiet_until(
            time_zone=pref.time_zone, quiet_from=pref.quiet_from, quiet_to=pref.quiet_to, now=timezone.now()
        )
    )
    queued = []
    for channel, on in channels_on(account_id=account_id).items():
        if not on:
            continue
        rendered = templates.render(kind=kind, channel=channel, language=language, variables=values)
        if rendered is None or not rendered.text:
            continue
        row = delivery.enqueue(
            account_id=account_id,
            channel=channel,
            text=rendered.text,
            title=rendered.title,
            buttons=rendered.buttons_json(),
            event_type=kind,
            subject=str(subject),
            language=language,
            dedupe_key=f"{dedupe}:{account_id}:{channel}",
            not_before=not_before,
            urgent=urgent,
            bulk_job_id=bulk_job_id,
        )
        if row is not None:
            queued.append(row)
    return queued


def _typed(text: Any, title: Any, *, channel: str) -> tuple[str, str]:
    text = (text or "").strip() if isinstance(text, str) else ""
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if not text or len(text) > MAX_TEXT or "\x00" in text or "\x00" in title or len(title) > 200:
        raise ValidationFailedError(details={"text": _("A message is 1 to 4000 characters of text.")})
    # typed by staff: shown as it is written, never as markup
    return (html.escape(text) if channel in HTML_CHANNELS else text), title


def _check_message(*, text: Any, template: Any, variables: Any, channel: str) -> None:
    if (text is None) == (template is None):
        raise ValidationFailedError(details={"text": _("Send either a text or a template with variables.")})
    if channel not in Channel.values:
        raise ValidationFailedError(details={"channel": _("Unknown channel.")})
    if template is not None:
        if template not in templates.kinds():
            raise ValidationFailedError(details={"template": _("Unknown kind of message.")})
        unknown = sorted(set(variables or {}) - set(templates.variables_of(template)))
        if unknown:
            raise ValidationFailedError(
                details={
                    "variables": _("Unknown variables: %(unknown)s. This kind of message knows: %(allowed)s.")
                    % {"unknown": ", ".join(unknown), "allowed": ", ".join(templates.variables_of(template))}
                }
            )
    else:
        _typed(text, "", channel=channel)


def _send_one(
    *,
    account_id: int,
    channel: str,
    text: str | None,
    title: str,
    template: str | None,
    variables: dict | None,
    urgent: bool,
    dedupe_key: str | None,
    bulk_job_id: int | None = None,
    language: str | None = None,
) -> Notification | None:
    language = language or users_public.profile_language(account_id=account_id)
    if template is not None:
        rendered = templates.render(kind=template, channel=channel, language=language, variables=variables or {})
        body, title, buttons, kind = rendered.text, rendered.title, rendered.buttons_json(), template
    else:
        body, title = _typed(text, title, channel=channel)
        buttons, kind = [], MANUAL
    not_before = None
    if not urgent:
        pref = _preference(account_id)
        not_before = quiet_until(
            time_zone=pref.time_zone, quiet_from=pref.quiet_from, quiet_to=pref.quiet_to, now=timezone.now()
        )
    return delivery.enqueue(
        account_id=account_id,
        channel=channel,
        text=body,
        title=title,
        buttons=buttons,
        event_type=kind,
        language=language,
        dedupe_key=dedupe_key,
        not_before=not_before,
        urgent=urgent,
        bulk_job_id=bulk_job_id,
    )


@transaction.atomic
def notification_send(
    *,
    sender_id: int,
    account_id: int,
    channel: str = Channel.TELEGRAM,
    text: str | None = None,
    title: str = "",
    template: str | None = None,
    variables: dict | None = None,
    urgent: bool = False,
) -> Notification | None:
    """Queue one message from staff to one person: typed text (escaped) or a template with variables, in the
    person's language. Returns None when the person has the channel off.

    :raises ValidationFailedError: neither or both of text and template; unknown template, variables or channel.
    :raises NotFoundError: the person has no profile.
    """
    _check_message(text=text, template=template, variables=variables, channel=channel)
    if users_public.access_profile(account_id=account_id).status == users_public.NO_PROFILE:
        raise NotFoundError(_("No such person."))
    return _send_one(
        account_id=account_id,
        channel=channel,
        text=text,
        title=title,
        template=template,
        variables=variables,
        urgent=urgent,
        dedupe_key=None,
    )


# --- bulk sends --------------------------------------------------------------------------------------------------


def _audience_ids(audience: dict) -> list[int]:
    if "role" in audience:
        return list(users_public.people_with_role(role=audience["role"]))
    if "building_id" in audience:
        return list(users_public.residents_of_building(building_id=audience["building_id"]))
    return sorted({int(account_id) for account_id in audience.get("account_ids", ())})


def _audience_label(audience: dict) -> str:
    if "role" in audience:
        return f"role: {audience['role']}"
    if "building_id" in audience:
        label = users_public.building_labels(building_ids=[audience["building_id"]]).get(audience["building_id"], "")
        return f"building #{audience['building_id']} {label}".strip()[:200]
    return f"{len(audience.get('account_ids', ()))} people"


def _check_audience(audience: Any) -> dict:
    if not isinstance(audience, dict) or len(audience) != 1:
        raise ValidationFailedError(details={"audience": _("Name one of role, building_id or account_ids.")})
    if "role" in audience:
        if audience["role"] not in users_public.ROLES:
            raise ValidationFailedError(details={"audience.role": _("Unknown role.")})
    elif "building_id" in audience:
        building_id = audience["building_id"]
        if isinstance(building_id, bool) or not isinstance(building_id, int) or building_id <= 0:
            raise ValidationFailedError(details={"audience.building_id": _("An id is a positive integer.")})
        if not users_public.building_labels(building_ids=[building_id]):
            raise ValidationFailedError(details={"audience.building_id": _("No such building.")})
    elif "account_ids" in audience:
        ids = audience["account_ids"]
        if (
            not isinstance(ids, list)
            or not 0 < len(ids) <= 10000
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
        ):
            raise ValidationFailedError(details={"audience.account_ids": _("List 1 to 10,000 account ids.")})
    else:
        raise ValidationFailedError(details={"audience": _("Name one of role, building_id or account_ids.")})
    return audience


@transaction.atomic
def bulk_job_create(
    *,
    created_by: int,
    audience: dict,
    channel: str = Channel.TELEGRAM,
    text: str | None = None,
    title: str = "",
    template: str | None = None,
    variables: dict | None = None,
    urgent: bool = False,
) -> BulkJob:
    """Record a bulk send to a role, a building's residents or a list of people and queue it (a Celery task
    creates the messages in batches after commit).

    :raises ValidationFailedError: a bad audience or message (as :func:`notification_send`).
    """
    _check_message(text=text, template=template, variables=variables, channel=channel)
    audience = _check_audience(audience)
    message = {"text": text, "title": title} if template is None else {"template": template, "variables": variables}
    job = BulkJob.objects.create(
        created_by=created_by,
        audience=audience,
        audience_label=_audience_label(audience),
        channel=channel,
        message=message,
        urgent=urgent,
        total=len(_audience_ids(audience)),
    )
    from ukbot.notifications.bulk import bulk_send  # the task module imports this one

    transaction.on_commit(lambda: bulk_send.delay(job_id=job.pk))
    return job


def bulk_job_run(*, job_id: int, batch_size: int = BULK_BATCH) -> BulkJob:
    """Create the messages of a bulk send in batches (one transaction each), counting progress as it goes.

    Safe to run again (a retried task): every message has a dedupe key of the job and the person, so those queued
    before count as skipped and nobody gets it twice.

    :raises NotFoundError: no such job.
    """
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise NotFoundError(_("No such bulk send."))
        if job.status == BulkJob.Status.DONE:
            return job
        ids = _audience_ids(job.audience)
        job.status, job.total, job.queued, job.skipped = BulkJob.Status.RUNNING, len(ids), 0, 0
        job.save(update_fields=["status", "total", "queued", "skipped"])
    message = job.message
    try:
        for start in range(0, len(ids), batch_size):
            with transaction.atomic():
                queued = skipped = 0
                for account_id in ids[start : start + batch_size]:
                    row = _send_one(
                        account_id=account_id,
                        channel=job.channel,
                        text=message.get("text"),
                        title=message.get("title") or "",
                        template=message.get("template"),
                        variables=message.get("variables"),
                        urgent=job.urgent,
                        dedupe_key=f"bulk:{job.pk}:{account_id}:{job.channel}",
                        bulk_job_id=job.pk,
                    )
                    queued, skipped = queued + (row is not None), skipped + (row is None)
                BulkJob.objects.filter(pk=job.pk).update(queued=F("queued") + queued, skipped=F("skipped") + skipped)
    except Exception as exc:
        BulkJob.objects.filter(pk=job.pk).update(
            status=BulkJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        logger.exception("bulk send failed", extra={"bulk_job_id": job.pk})
        raise
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job


# --- templates ---------------------------------------------------------------------------------------------------


def _template_save(template: Template) -> Template:
    templates.validate(
        kind=template.event_type,
        channel=template.channel,
        title=template.title,
        body=template.body,
        buttons=template.buttons,
    )
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ConflictError(_("A template for this kind, channel and language exists; edit it.")) from None
    return template


@transaction.atomic
def template_create(
    *,
    event_type: str,
    channel: str,
    language: str,
    body: str,
    title: str = "",
    buttons: Iterable = (),
    actor_id: int | None,
) -> Template:
    """Add the template of a kind of message for a channel and language, checked first.

    :raises ValidationFailedError: unknown kind, channel, language or variables; bad tags or buttons.
    :raises ConflictError: that kind, channel and language has a template already.
    """
    if channel not in Channel.values:
        raise ValidationFailedError(details={"channel": _("Unknown channel.")})
    if language not in ("ru", "uz", "en"):
        raise ValidationFailedError(details={"language": _("Unknown language.")})
    return _template_save(
        Template(
            event_type=event_type,
            channel=channel,
            language=language,
            title=title,
            body=body,
            buttons=[list(row) for row in buttons or ()],
            updated_by=actor_id,
        )
    )


@transaction.atomic
def template_update(*, template_id: int, actor_id: int | None, **changes: Any) -> Template:
    """Change a template's title, body or buttons, checked first.

    :raises NotFoundError: no such template.
    :raises ValidationFailedError: unknown fields or variables; bad tags or buttons.
    """
    unknown = sorted(set(changes) - {"title", "body", "buttons"})
    if unknown:
        raise ValidationFailedError(details={name: _("This field cannot be changed here.") for name in unknown})
    template = Template.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise NotFoundError(_("No such template."))
    for name, value in changes.items():
        setattr(template, name, [list(row) for row in value] if name == "buttons" else value)
    template.updated_by = actor_id
    return _template_save(template)
