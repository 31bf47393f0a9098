"""The retention settings: a bad value stops start-up with one line naming the variable; beat runs every purge."""

from __future__ import annotations

import pytest

from tests.test_settings_env import _check


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOTIFICATIONS_RETENTION_DAYS", "0"),
        ("NOTIFICATIONS_RETENTION_DAYS", "ninety"),
        ("AUTH_ATTEMPTS_RETENTION_DAYS", "-1"),
        ("SESSIONS_RETENTION_DAYS", "30d"),
        ("RETENTION_BATCH", "0"),
    ],
)
def test_a_bad_retention_value_stops_the_command_with_one_line_naming_it(name, value):
    finished = _check(**{name: value})

    assert finished.returncode == 2
    assert finished.stderr.startswith(f"ukbot: configuration error: {name}: ")
    assert len(finished.stderr.splitlines()) == 1
    assert "Traceback" not in finished.stderr


def test_an_attempts_retention_shorter_than_the_lockout_window_is_refused():
    finished = _check(AUTH_ATTEMPTS_RETENTION_DAYS="1", LOGIN_FAILURE_WINDOW_SECONDS=str(2 * 86400))

    assert finished.returncode == 2
    assert finished.stderr.startswith("ukbot: configuration error: AUTH_ATTEMPTS_RETENTION_DAYS: must cover ")


def test_beat_schedules_every_purge_daily():
    from ukbot.celery import app

    app.loader.import_default_modules()  # what a worker does at start: every app's tasks.py
    app.finalize()
    schedule = app.conf.beat_schedule

    purges = {
        name: entry["task"] for name, entry in schedule.items() if entry["task"].split(".")[-1].startswith("purge")
    }
    assert purges == {
        "events-retention": "ukbot.core.purge_delivered_events",
        "notifications-retention": "ukbot.notifications.purge",
        "login-attempts-retention": "ukbot.auth.purge_login_attempts",
        "sessions-retention": "ukbot.auth.purge_sessions",
    }
    assert {schedule[name]["schedule"] for name in purges} == {86400.0}
    assert schedule["idempotency-expiry"]["task"] == "ukbot.core.expire_idempotency_keys"
    assert set(app.tasks) >= {*purges.values(), "ukbot.core.expire_idempotency_keys"}
