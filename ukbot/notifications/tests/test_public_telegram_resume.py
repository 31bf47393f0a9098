"""Someone who blocked the bot and returns gets Telegram messages again; a channel turned off on purpose stays off."""

from __future__ import annotations

import pytest

from tests.factories import person
from ukbot.notifications import public
from ukbot.notifications.models import ChannelSetting
from ukbot.notifications.services import delivery

pytestmark = pytest.mark.django_db


def _telegram(account_id: int) -> ChannelSetting | None:
    return ChannelSetting.objects.filter(account_id=account_id, channel="telegram").first()


def test_a_channel_off_because_the_bot_was_blocked_is_turned_back_on():
    account_id = person("applicant")
    delivery.channel_disable(account_id=account_id, channel="telegram", reason="bot_blocked")
    assert public.telegram_resume(account_id=account_id) is True
    setting = _telegram(account_id)
    assert (setting.enabled, setting.disabled_reason) == (True, "")
    assert public.telegram_resume(account_id=account_id) is False  # nothing more to do


@pytest.mark.parametrize("reason", ["user", "admin"])
def test_a_channel_turned_off_on_purpose_stays_off(reason):
    account_id = person("applicant")
    delivery.channel_disable(account_id=account_id, channel="telegram", reason=reason)
    assert public.telegram_resume(account_id=account_id) is False
    assert _telegram(account_id).enabled is False


def test_a_person_without_settings_gets_no_row():
    account_id = person("applicant")
    assert public.telegram_resume(account_id=account_id) is False
    assert _telegram(account_id) is None
