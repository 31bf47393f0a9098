"""Quiet hours, preferences, template fallbacks and the shift reminder door."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tests.factories import person
from ukbot.core.errors import ValidationFailedError
from ukbot.notifications import public, services, templates
from ukbot.notifications.models import ChannelSetting, Notification, Preference, Template

UTC_NOON = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "quiet", "now", "until"),
    [
        # 23:30 in Tashkent (UTC+5), quiet 22:00 to 07:00: wait until 07:00 Tashkent = 02:00 UTC next day
        (
            "Asia/Tashkent",
            (time(22), time(7)),
            datetime(2026, 1, 15, 18, 30, tzinfo=UTC),
            datetime(2026, 1, 16, 2, 0, tzinfo=UTC),
        ),
        # 03:00 in Tashkent, the same night: until 07:00 that morning
        (
            "Asia/Tashkent",
            (time(22), time(7)),
            datetime(2026, 1, 15, 22, 0, tzinfo=UTC),
            datetime(2026, 1, 16, 2, 0, tzinfo=UTC),
        ),
        # 17:00 in Tashkent: not quiet
        ("Asia/Tashkent", (time(22), time(7)), UTC_NOON, None),
        # a quiet afternoon 13:00 to 18:00 in London during summer time (UTC+1): 13:00 BST is 12:00 UTC
        ("Europe/London", (time(13), time(18)), UTC_NOON, datetime(2026, 7, 1, 17, 0, tzinfo=UTC)),
        # no quiet hours, or an empty span
        ("Asia/Tashkent", (None, None), UTC_NOON, None),
        ("Asia/Tashkent", (time(9), time(9)), UTC_NOON, None),
    ],
)
def test_quiet_hours_are_wall_clock_times_in_the_persons_zone(zone, quiet, now, until):
    assert services.quiet_until(time_zone=zone, quiet_from=quiet[0], quiet_to=quiet[1], now=now) == until


@pytest.mark.django_db
def test_preferences_change_only_what_is_given_and_check_it():
    account = person("applicant")

    services.preference_set(account_id=account, time_zone="Europe/London", quiet_from=time(22), quiet_to=time(7))
    view = services.preference_set(account_id=account, follow_all=True, channels={"email": True})

    assert (view.time_zone, view.quiet_from, view.quiet_to, view.follow_all) == (
        "Europe/London",
        time(22),
        time(7),
        True,
    )
    assert view.channels == {"telegram": True, "email": True, "sms": False, "push": False}
    for bad in ({"time_zone": "Nowhere/City"}, {"time_zone": "local"}, {"quiet_to": None}, {"channels": {"fax": True}}):
        with pytest.raises(ValidationFailedError):
            services.preference_set(account_id=account, **bad)
    assert Preference.objects.get(account_id=account).time_zone == "Europe/London"


@pytest.mark.django_db
def test_a_deleted_row_falls_back_to_the_shipped_text_in_the_same_language():
    Template.objects.filter(event_type="request.assigned", channel="telegram", language="uz").delete()
    Template.objects.filter(event_type="request.assigned", channel="telegram", language="ru").update(body="RU {number}")

    uz = templates.render(kind="request.assigned", channel="telegram", language="uz", variables={"number": "1"})
    ru = templates.render(kind="request.assigned", channel="telegram", language="ru", variables={"number": "1"})
    de = templates.render(kind="request.assigned", channel="telegram", language="de", variables={"number": "1"})

    assert uz.text.startswith("Sizga <b>1</b> ariza tayinlandi")
    assert ru.text == de.text == "RU 1"  # an unknown language reads the company's (Russian) template


@pytest.mark.django_db
def test_sms_and_push_read_the_shipped_plain_words_and_a_saved_sms_template_wins():
    sms = templates.render(kind="request.assigned", channel="sms", language="en", variables={"number": "7"})
    Template.objects.create(event_type="request.assigned", channel="sms", language="en", body="Job {number}")
    saved = templates.render(kind="request.assigned", channel="sms", language="en", variables={"number": "7"})

    assert (sms.text, sms.buttons) == ("New request 7", ())
    assert saved.text == "Job 7"


@pytest.mark.django_db
def test_the_shift_reminder_is_sent_once_per_shift():
    executor = person("executor", language="en")
    ChannelSetting.objects.create(account_id=executor, channel="email", enabled=False)
    starts = datetime(2026, 1, 16, 3, 0, tzinfo=UTC)

    first = public.notify_shift_starting(shift_id=9, executor_id=executor, specialization="plumber", starts_at=starts)
    again = public.notify_shift_starting(shift_id=9, executor_id=executor, specialization="plumber", starts_at=starts)

    assert (first, again) == (1, 0)
    row = Notification.objects.get(account_id=executor)
    assert (row.event_type, row.channel, row.text) == (
        "shift.starting",
        "telegram",
        "Shift #9 (Plumber) starts at 16.01.2026 08:00.",
    )
