"""Staff with a second factor confirm it in the bot before manager actions, once per period: a Telegram account is
the bot's only credential, so it must not carry manager powers that the web side guards with a code."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bot.i18n import in_language
from bot.menus import BUTTONS
from tests.factories import person, telegram_person
from ukbot.requests import services as requests

pytestmark = pytest.mark.django_db(transaction=True)
ASK = (
    "🔐 Your account has a second factor. Managers confirm it here once every 12 h: send the code from your "
    "authenticator app (or a backup code), then repeat what you were doing."
)


@pytest.fixture(autouse=True)
def _no_confirmations_of_earlier_tests():
    """Confirmations live in the cache by account id, and ids come round again in a fresh test database."""
    cache.clear()


def _with_totp(account_id: int) -> TOTPDevice:
    return TOTPDevice.objects.create(user_id=account_id, name="phone", confirmed=True)


def _code(device: TOTPDevice, ahead: int = 0) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, ahead):06d}"


def test_a_manager_with_a_second_factor_confirms_it_before_manager_actions(bot):
    account = telegram_person("manager", 9501, language="en")
    device = _with_totp(account)
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    mona = bot.person(9501, "Mona", language_code="en")

    [asked] = mona.send("🆕 New")
    assert asked.text == ASK
    [asked] = mona.press(f"mgr:assign:{number}:1")  # a manager's button: asked too, nothing done
    assert asked.text == ASK
    assert bot.fake.calls("answerCallbackQuery")[-1].status == 200

    [wrong] = mona.send("000000")
    assert wrong.text == "The code is wrong, expired or already used."
    [confirmed] = mona.send(_code(device))
    assert confirmed.text == "✅ Confirmed. For the next 12 h manager actions need no code. Go on."
    assert "🆕 New" in confirmed.keyboard
    assert len(bot.fake.calls("deleteMessage")) == 2  # the codes do not stay in the chat

    [listed] = mona.send("🆕 New")
    assert number in listed.text


def test_a_manager_without_a_second_factor_is_not_asked(bot):
    telegram_person("manager", 9502, language="en")
    mona = bot.person(9502, "Mona", language_code="en")
    [listed] = mona.send("🆕 New")
    assert listed.text.startswith("No new requests") or "New requests" in listed.text


def test_wrong_codes_are_limited_and_told_in_the_managers_language(bot):
    account = telegram_person("manager", 9503, language="uz")
    device = _with_totp(account)
    mona = bot.person(9503, "Mona", language_code="uz")
    new = in_language("uz", BUTTONS["mgr_new"])
    mona.send(new)

    for _ in range(5):
        [wrong] = mona.send("123456")
    [refused] = mona.send(_code(device))  # even the right code, once the limit is reached

    with translation.override("uz"):
        assert wrong.text == gettext("The code is wrong, expired or already used.")
        too_many = gettext("Too many wrong codes. Try again in %(minutes)d minutes.")
    assert re.fullmatch(re.escape(too_many).replace("%\\(minutes\\)d", r"\d+"), refused.text), refused.text
    [again] = mona.send(new)
    assert again.text.startswith("🔐")
