"""A person's notification settings: channels on or off, time zone, quiet hours, following every change, and which
groups of messages they hear (decision 0021: progress messages may be turned off; questions, work to accept and
cancellations always come)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ValidationFailedError
from ukbot.notifications.models import Channel, ChannelSetting, Preference

# Groups of messages a person may turn off: group -> the kinds in it, and the Preference field that holds the choice.
# Every kind not listed always comes (a question for the applicant, work to accept or return, a cancellation).
MESSAGE_GROUPS: dict[str, frozenset[str]] = {
    "progress": frozenset(
        {
            "request.executor_assigned",
            "request.reassigned",
            "request.work_started",
            "request.sent_back",
            "request.completed",
        }
    ),
}
_GROUP_FIELDS = {"progress": "progress_messages"}
_GROUP_OF = {kind: group for group, kinds in MESSAGE_GROUPS.items() for kind in kinds}


@dataclass(frozen=True)
class PreferenceView:
    """A person's notification settings: channels on/off, time zone, quiet hours, follow every change."""

    account_id: int
    channels: dict[str, bool]
    time_zone: str
    quiet_from: time | None
    quiet_to: time | None
    follow_all: bool
    messages: dict[str, bool]


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
        messages={group: getattr(pref, field) for group, field in _GROUP_FIELDS.items()},
    )


def hears(*, account_id: int, kind: str) -> bool:
    """Whether the person wants messages of ``kind``: always, unless it is in a group they turned off."""
    group = _GROUP_OF.get(kind)
    if group is None:
        return True
    field = _GROUP_FIELDS[group]
    turned_off = Preference.objects.filter(account_id=account_id, **{field: False}).exists()
    return not turned_off


def _check_messages(messages: Any) -> dict[str, bool]:
    if messages is None:
        return {}
    if not isinstance(messages, dict):
        raise ValidationFailedError(details={"messages": _("Give a map of groups of messages to true or false.")})
    problems = {}
    for group, on in messages.items():
        if group not in MESSAGE_GROUPS:
            problems[f"messages.{group}"] = _("Only progress messages can be turned off.")
        elif not isinstance(on, bool):
            problems[f"messages.{group}"] = _("Must be true or false.")
    if problems:
        raise ValidationFailedError(details=problems)
    return messages


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
    messages: dict[str, bool] | None = None,
) -> PreferenceView:
    """Change the person's settings; only what is given changes. Channels are written as ``ChannelSetting`` rows;
    ``messages`` turns groups of messages on or off (``{"progress": False}``).

    :raises ValidationFailedError: an unknown channel, time zone or group of messages, or one that cannot be turned
        off; a group not set to true or false; only one end of the quiet hours.
    """
    unknown = sorted(set(channels or {}) - set(Channel.values))
    if unknown:
        raise ValidationFailedError(details={f"channels.{name}": _("Unknown channel.") for name in unknown})
    groups = _check_messages(messages)
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
    for group, on in groups.items():
        setattr(pref, _GROUP_FIELDS[group], on)
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
