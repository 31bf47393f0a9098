"""Project-wide fixtures. Tests run against the PostgreSQL and Redis named by DATABASE_URL / REDIS_URL."""

from __future__ import annotations

import os

import pytest

from tests.processes import UNTHROTTLED

# The suite makes many calls quickly from one address (dozens of sign-ins in the lockout tests): every API rate
# limit is high, though still counted, unless a test sets its own. Settings were loaded before this file, so the
# fixture below sets them in this process; the environment carries them to the servers tests start.
for _name, _rate in UNTHROTTLED.items():
    os.environ.setdefault(_name, _rate)


@pytest.fixture(autouse=True)
def _high_rate_limits(settings):
    for name, rate in UNTHROTTLED.items():
        setattr(settings, name, rate)


@pytest.fixture(autouse=True)
def _kicks_finish_within_the_test():
    # Kicks run on a thread of their own (ukbot.core.kicks): one left running would set its mark in the cache
    # after the next test cleared it.
    from ukbot.core.kicks import kicks_wait_idle

    yield
    kicks_wait_idle(timeout=15)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are not about hashing should not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files (ukbot.media, local storage) go to a folder of the test, not to var/media.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def bot(settings, transactional_db):
    """The real bot polling a fake Bot API from a thread of this process (see ``tests/fakes/bot_harness.py``)."""
    from tests.fakes.bot_harness import FLOOD_RATE, TOKEN, BotHarness
    from tests.fakes.telegram_api import FakeTelegramAPI
    from ukbot.notifications import ratelimit

    ratelimit.reset()
    with FakeTelegramAPI(token=TOKEN) as fake:
        settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_URL = TOKEN, fake.url
        settings.BOT_FLOOD_RATE = FLOOD_RATE  # a scripted person taps faster than a real one
        harness = BotHarness(fake).start()
        try:
            yield harness
        finally:
            harness.stop()
    ratelimit.reset()
