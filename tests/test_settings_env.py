"""A bad environment stops `manage.py` at start-up with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Every variable the cases touch starts from a known, valid value, whatever the calling shell has set.
VALID = {
    "DJANGO_DEBUG": "1",
    "DATABASE_URL": "postgres://ukbot:secret@127.0.0.1:5432/ukbot",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": "example.com",
    "TIME_ZONE": "Asia/Tashkent",
}
# Variables of settings.py that a case does not name are removed, so the shell running pytest cannot interfere.
CLEARED = (
    *("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "USE_S3", "LOG_LEVEL", "LANGUAGE_CODE", "EMAIL_PORT"),
    *("REDIS_SOCKET_TIMEOUT", "REDIS_CONNECT_TIMEOUT"),
)


def _check(**changes: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(VALID)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    # `check --deploy` is not wanted here: plain `check` loads settings and every app, as any command does.
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_valid_baseline_passes_the_check():
    finished = _check()
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout == "System check identified no issues (0 silenced).\n"


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        pytest.param({"DATABASE_URL": None}, "DATABASE_URL", id="database-url-unset"),
        pytest.param({"DATABASE_URL": "mysql://x"}, "DATABASE_URL", id="database-url-mysql"),
        pytest.param({"DATABASE_URL": "postgres://127.0.0.1:5432"}, "DATABASE_URL", id="database-url-no-name"),
        pytest.param({"DJANGO_DEBUG": "0", "SECRET_KEY": None}, "SECRET_KEY", id="secret-key-unset-in-production"),
        pytest.param({"DJANGO_DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY", id="secret-key-short"),
        pytest.param({"DJANGO_DEBUG": "0", "ALLOWED_HOSTS": None}, "ALLOWED_HOSTS", id="allowed-hosts-unset"),
        pytest.param({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE", id="time-zone-unknown"),
        pytest.param({"REDIS_URL": "ftp://x"}, "REDIS_URL", id="redis-url-ftp"),
        pytest.param({"REDIS_URL": None}, "REDIS_URL", id="redis-url-unset"),
        pytest.param({"REDIS_SOCKET_TIMEOUT": "0"}, "REDIS_SOCKET_TIMEOUT", id="redis-socket-timeout-zero"),
        pytest.param({"REDIS_SOCKET_TIMEOUT": "soon"}, "REDIS_SOCKET_TIMEOUT", id="redis-socket-timeout-word"),
        pytest.param({"REDIS_CONNECT_TIMEOUT": "nan"}, "REDIS_CONNECT_TIMEOUT", id="redis-connect-timeout-nan"),
        pytest.param({"REDIS_CONNECT_TIMEOUT": "600"}, "REDIS_CONNECT_TIMEOUT", id="redis-connect-timeout-long"),
        pytest.param({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG", id="debug-not-a-boolean"),
        pytest.param({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT", id="email-port-not-a-number"),
        pytest.param({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL", id="log-level-unknown"),
        pytest.param({"LANGUAGE_CODE": "de"}, "LANGUAGE_CODE", id="language-unsupported"),
        pytest.param({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN", id="bot-token-malformed"),
        pytest.param({"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL", id="bot-api-url-no-scheme"),
        pytest.param({"USE_S3": "1", "AWS_STORAGE_BUCKET_NAME": None}, "AWS_STORAGE_BUCKET_NAME", id="s3-no-bucket"),
        pytest.param({"API_RATE_USER": "lots"}, "API_RATE_USER", id="rate-not-a-rate"),
        pytest.param({"API_RATE_SIGN_IN": "10/fortnight"}, "API_RATE_SIGN_IN", id="rate-unknown-period"),
        pytest.param({"API_RATE_UPLOADS": "0/hour"}, "API_RATE_UPLOADS", id="rate-zero"),
        pytest.param({"MEDIA_QUOTA_BYTES": "2GB"}, "MEDIA_QUOTA_BYTES", id="quota-not-a-number"),
        pytest.param({"CELERY_TASK_DEFAULT_QUEUE": "my queue"}, "CELERY_TASK_DEFAULT_QUEUE", id="queue-name-space"),
    ],
)
def test_a_bad_variable_stops_the_command_with_one_line_naming_it(changes, name):
    finished = _check(**changes)
    assert finished.returncode == 2
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith(f"ukbot: configuration error: {name}: ")
    assert "Traceback" not in finished.stderr
    assert finished.stdout == ""


def test_a_bad_rate_says_what_a_rate_looks_like():
    finished = _check(API_RATE_EXPORTS="10 per hour")
    assert finished.stderr == (
        "ukbot: configuration error: API_RATE_EXPORTS: expected a rate such as 600/min, 10/30s or off, "
        "got '10 per hour' (not <requests>/<period>)\n"
    )


def test_rate_limits_and_the_quota_have_production_defaults():
    env = {k: v for k, v in os.environ.items() if not k.startswith("API_RATE_") and k != "MEDIA_QUOTA_BYTES"}
    env.update(VALID)
    names = ["USER", "ANON", "SIGN_IN", "UPLOADS", "EXPORTS", "SEARCHES", "BULK_NOTIFICATIONS"]
    values = ", ".join([*(f"s.API_RATE_{name}" for name in names), "s.MEDIA_QUOTA_BYTES"])
    code = f"from django.conf import settings as s; print({values})"
    finished = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout.split() == [
        *("600/min", "120/min", "30/min", "120/hour", "10/hour", "60/min", "20/hour"),
        str(2 * 1024**3),
    ]
