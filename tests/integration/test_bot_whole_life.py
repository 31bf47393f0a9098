"""One request's whole life through the bot alone, three people in three chats: a newcomer registers as a
resident and files a request with a photo; the manager assigns it to a plumber; the plumber hears of it, starts
and completes the work with an "after" photo; the manager confirms; the resident hears and accepts with a rating.

Real database, Redis dialog state, outbox relay and notification delivery, the bot polling a fake Bot API over
HTTP. With ``BOT_TRANSCRIPT=<file>`` in the environment the dialog is written out as a transcript.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import media_bytes, telegram_person
from ukbot.requests import selectors as requests_selectors
from ukbot.users import selectors as users_selectors
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)


class Transcript:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def did(self, who, action: str, replies) -> list:
        self.lines.append(f"{who.user['first_name']} ▶ {action}")
        for reply in replies:
            self.shown(who, reply)
        return replies

    def shown(self, who, reply) -> None:
        if reply.method == "editMessageReplyMarkup":
            return  # buttons taken off an answered message
        buttons = reply.buttons or reply.keyboard
        text = reply.text.replace("\n", "\n    ")
        verb = "edits to" if reply.method.startswith("edit") else "says"
        self.lines.append(f"  bot {verb} {who.user['first_name']}: {text}" + (f"  {buttons}" if buttons else ""))

    def told(self, bot, who, since: int) -> list:
        new = bot.shown_to(who)[since:]
        for reply in new:
            self.lines.append(f"  (notification) bot says {who.user['first_name']}: {reply.text}  {reply.buttons}")
        who.history.extend(new)
        return new


def test_a_request_lives_its_whole_life_in_the_bot(bot):
    log = Transcript()
    yard = users.yard_create(name="Chilonzor")
    house = users.building_create(yard_id=yard.pk, address="Bunyodkor 5")
    entrance = users.entrance_create(building_id=house.pk, number=1)
    flat = users.apartment_create(entrance_id=entrance.pk, number="7")
    manager_id = telegram_person("manager", 9301, language="en")
    plumber_id = telegram_person("executor", 9302, language="en", trades=("plumber",))
    anna = bot.person(9300, "Anna", language_code="en")
    mona = bot.person(9301, "Mona", language_code="en")
    ivan = bot.person(9302, "Ivan", language_code="en")

    # registration
    log.did(anna, "/start", anna.send("/start"))
    log.did(anna, "taps English", anna.tap("English"))
    log.did(anna, "taps I am a resident", anna.tap("I am a resident"))
    log.did(anna, "shares her contact", anna.contact("+998901234567"))
    log.did(anna, "taps Agree", anna.tap("Agree"))
    log.did(anna, "taps Chilonzor", anna.tap("Chilonzor"))
    log.did(anna, "taps Bunyodkor 5", anna.tap("Bunyodkor 5"))
    flats = anna.last_with_button("7")
    log.did(anna, "taps 7", anna.press(flats.data_of("7"), message_id=flats.message_id))
    log.did(anna, "taps Owner", anna.tap("Owner"))
    log.did(anna, "taps Skip", anna.tap("Skip"))
    [link] = users_selectors.apartment_link_list(building_id=house.pk)
    account_id = link.profile.account_id
    assert (link.status, link.apartment_id) == ("pending", flat.pk)

    # the manager approves the apartment link in the bot; the resident hears it
    log.did(mona, "🏠 Apartment links", mona.send("🏠 Apartment links"))
    log.did(mona, "taps Approve", mona.tap("Approve"))
    since = len(bot.shown_to(anna))
    bot.deliver()
    [decision] = log.told(bot, anna, since)
    assert "Bunyodkor 5" in decision.text

    # a request with a photo
    log.did(anna, "📝 New request", anna.send("📝 New request"))
    log.did(anna, "taps Plumbing", anna.tap("Plumbing"))
    log.did(anna, "taps high", anna.tap("high"))
    log.did(anna, "taps her apartment", anna.tap("Bunyodkor 5"))
    log.did(anna, "types the description", anna.send("Water drips from the kitchen tap <all night>"))
    log.did(anna, "sends a photo", anna.photo(media_bytes("jpeg")))
    log.did(anna, "taps Done", anna.tap("Done"))
    log.did(anna, "taps Any time", anna.tap("Any time"))
    confirmed = log.did(anna, "taps Confirm", anna.tap("Confirm"))
    [request] = requests_selectors.requests_visible_to(account_id=account_id, actor_kind="applicant")
    number = request.number
    assert number in confirmed[-1].text
    assert (request.category, request.urgency, request.apartment_id, request.source) == (
        "plumbing",
        "high",
        flat.pk,
        "bot",
    )

    # the manager assigns it to the plumber
    log.did(mona, "🆕 New", mona.send("🆕 New"))
    log.did(mona, f"taps {number}", mona.tap(number))
    log.did(mona, "taps Assign", mona.tap("Assign"))
    log.did(mona, "taps the plumber", mona.tap(f"#{plumber_id}"))
    assert requests_selectors.request_get(number=number).executor_id == plumber_id

    # the plumber hears of it, starts, completes with an "after" photo and a comment
    since = len(bot.shown_to(ivan))
    bot.deliver()
    [assigned] = log.told(bot, ivan, since)
    log.did(ivan, "taps Start work", ivan.press(assigned.data_of("Start"), message_id=assigned.message_id))
    log.did(ivan, "taps Complete", ivan.tap("Complete"))
    log.did(ivan, "sends a photo", ivan.photo(media_bytes("jpeg")))
    log.did(ivan, "taps Done", ivan.tap("Done"))
    log.did(ivan, "types a comment", ivan.send("Replaced the washer"))
    assert requests_selectors.request_get(number=number).status == "completed"

    # the manager confirms; the resident hears and accepts with five stars
    log.did(mona, "✅ Awaiting check", mona.send("✅ Awaiting check"))
    log.did(mona, f"taps {number}", mona.tap(number))
    log.did(mona, "taps Confirm", mona.tap("Confirm"))
    since = len(bot.shown_to(anna))
    bot.deliver()
    done = [reply for reply in log.told(bot, anna, since) if any("Accept" in b for b in reply.buttons)]
    log.did(anna, "taps Accept", anna.press(done[-1].data_of("Accept"), message_id=done[-1].message_id))
    log.did(anna, "taps 5 ⭐", anna.tap("5 ⭐"))
    log.did(anna, "types feedback", anna.send("Quick and tidy, thank you!"))

    request = requests_selectors.request_get(number=number)
    assert (request.status, request.rating, request.feedback) == ("accepted", 5, "Quick and tidy, thank you!")
    assert users_selectors.apartment_link_list(building_id=house.pk).get().status == "approved"
    assert manager_id
    if os.environ.get("BOT_TRANSCRIPT"):
        Path(os.environ["BOT_TRANSCRIPT"]).write_text("\n".join(log.lines) + "\n", encoding="utf-8")
