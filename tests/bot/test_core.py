"""The bot's frame, against the fake Bot API: commands in every language, state hints, old buttons, edits,
stickers, flood control, errors that never stop the bot."""

from __future__ import annotations

import time

import pytest
from django.utils import translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db(transaction=True)


def test_commands_are_registered_in_every_language(bot):
    calls = bot.fake.calls("setMyCommands")
    languages = sorted(str(c.params.get("language_code") or "") for c in calls)
    assert languages == ["", "en", "uz"]
    english = next(c for c in calls if c.params.get("language_code") == "en")
    assert [c["command"] for c in english.params["commands"]] == ["start", "menu", "cancel", "lang", "help"]


def test_help_and_cancel_answer_a_newcomer_in_their_telegram_language(bot):
    aziz = bot.person(7001, "Aziz", language_code="uz")
    [reply] = aziz.send("/help")
    assert "/cancel" in reply.text
    [reply] = aziz.send("/cancel")
    assert reply.text


def test_an_old_button_and_an_edit_get_an_answer_and_the_bot_goes_on(bot):
    hans = bot.person(7002, "Hans", language_code="en")
    hans.press("survey:42")  # a button of a feature that is gone
    answers = bot.fake.calls("answerCallbackQuery")
    assert answers and answers[-1].params["text"] == "This button is no longer active."
    [reply] = hans.edit(5, "changed")
    assert reply.text == "Edits to sent messages are not picked up. Please send a new message instead."
    [reply] = hans.send("/help")
    assert "/help" in reply.text


def test_flooding_is_answered_once_politely_then_dropped(bot, settings):
    # The `bot` fixture raises the limit for long scripted dialogs; the bot's own default is 20 per 10 s.
    settings.BOT_FLOOD_RATE, settings.BOT_FLOOD_PERIOD = 5, 2  # a short window, to see it end
    hans = bot.person(7003, "Hans", language_code="en")
    replies = [hans.send("/help") for _ in range(5 + 3)]
    assert all(len(r) == 1 for r in replies[:5])
    too_fast = "You are sending messages too fast. Please wait a few seconds and try again."
    assert [r.text for r in replies[5]] == [too_fast]
    assert replies[5 + 1 :] == [[], []]

    time.sleep(2 + 0.2)  # the window ends with its first update's TTL: answered again
    [reply] = hans.send("/help")
    assert "/help" in reply.text


def test_the_flood_warning_is_in_the_language_the_person_chose(bot, settings):
    from tests.factories import telegram_person

    settings.BOT_FLOOD_RATE = 2
    telegram_person("applicant", 7006, language="uz")
    aziz = bot.person(7006, "Aziz", language_code="ru")  # a Russian phone; Uzbek chosen in the bot
    replies = [aziz.send("/help") for _ in range(3)]
    with translation.override("uz"):
        expected = gettext("You are sending messages too fast. Please wait a few seconds and try again.")
    assert expected != "You are sending messages too fast. Please wait a few seconds and try again."
    assert [r.text for r in replies[2]] == [expected]
    aziz.press("req:open:251125-001")  # over the limit, a press is dropped unanswered, like a message
    assert [c.params["callback_query_id"] for c in bot.fake.calls("answerCallbackQuery")] == []


def test_a_blocked_person_is_told_and_nothing_else_happens(bot):
    from tests.factories import telegram_person
    from ukbot.users import services as users

    account = telegram_person("applicant", 7004, language="en")
    users.profile_block(account_id=account)
    olga = bot.person(7004, "Olga", language_code="en")
    [reply] = olga.send("📋 My requests")
    assert reply.text == "Your access is blocked. Please contact the management company."
    olga.press("req:open:251125-001")
    assert bot.fake.calls("answerCallbackQuery")[-1].params["text"] == reply.text


def test_a_person_who_changes_language_gets_the_menu_in_it(bot):
    from tests.factories import telegram_person
    from ukbot.users import selectors

    account = telegram_person("applicant", 7005, language="en")
    olga = bot.person(7005, "Olga", language_code="en")
    olga.send("/lang")
    olga.tap("Oʻzbekcha")
    assert selectors.profile_get(account_id=account).language == "uz"


def test_an_app_error_nobody_caught_is_explained_in_the_persons_language_and_a_crash_is_apologised_for(bot):
    from aiogram.filters import Command

    from bot.dispatcher import dispatcher
    from ukbot.core.errors import NotFoundError

    async def refuse(message):
        raise NotFoundError()

    async def crash(message):
        raise RuntimeError("boom")

    observer = dispatcher().message
    observer.register(refuse, Command("refuse"))
    observer.register(crash, Command("crash"))
    try:
        hans = bot.person(7006, "Hans", language_code="en")
        [reply] = hans.send("/refuse")
        assert reply.text == "Not found."
        [reply] = hans.send("/crash")
        assert reply.text == "Sorry, something went wrong on our side. Please try again in a minute."
        [reply] = hans.send("/help")  # and the bot goes on
        assert "/help" in reply.text
    finally:
        observer.handlers[:] = [h for h in observer.handlers if h.callback not in (refuse, crash)]


def test_a_menu_button_is_recognised_in_every_language():
    from bot.i18n import texts_of
    from bot.menus import BUTTONS

    assert texts_of(BUTTONS["my_requests"]) == {"📋 My requests", "📋 Мои заявки", "📋 Mening arizalarim"}


def test_a_person_with_two_roles_switches_between_their_menus(bot):
    from tests.factories import telegram_person
    from ukbot.users import selectors
    from ukbot.users import services as users

    account = telegram_person("applicant", 7007, language="en")
    users.role_grant(account_id=account, role="inspector", granted_by=None)
    olga = bot.person(7007, "Olga", language_code="en")
    [menu] = olga.send("/menu")
    assert menu.keyboard[:3] == ["📝 New request", "📋 My requests", "🏠 My apartments"]
    assert "🔁 Switch role" in menu.keyboard
    [choice] = olga.send("🔁 Switch role")
    assert choice.text == "Choose the role to work in:"
    [switched] = [r for r in olga.tap("Inspector") if r.keyboard]
    assert switched.text == "You now work as: Inspector."
    assert switched.keyboard[:2] == ["🔎 Report a problem", "📋 My requests"]
    assert selectors.profile_get(account_id=account).active_role == "inspector"
    olga.press("role:admin")  # a role that is not hers
    assert olga.last.text == "This role is not yours."


@pytest.mark.parametrize("code", ["RATE_LIMITED", "TOO_MANY_ATTEMPTS"])
def test_a_wait_is_explained_in_words_without_its_seconds_for_programs(code):
    from bot.errors import explain
    from ukbot.core.errors import AppError

    refused = AppError(code, "Too many requests. Try again in 5 seconds.", details={"retry_after": "5"})

    assert explain(refused) == "Too many requests. Try again in 5 seconds."
