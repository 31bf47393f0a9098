"""Every text the bot shows is in the reader's language: each role is walked in Uzbek and in English, pressing
every button it is shown (to a depth), typing what a wizard asks for, and receiving the notifications its work
brings; nothing shown may hold Cyrillic but the names and texts people typed (all Latin here) and the Russian
language button. The company's language is Russian, as in a real deployment, and so is its address data."""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.db import connection

from tests.factories import executor, media_bytes, media_file, on_shift, person, telegram_person
from ukbot.requests import services as requests
from ukbot.users import services as users
from ukbot.users.services import invitations, verification

pytestmark = pytest.mark.django_db(transaction=True)
CYRILLIC = re.compile(r"[\u0400-\u04ff]+")
# The language picker names each language in itself.
ALLOWED = ("Русский",)
# Buttons the walk does not press: they end the walk's world (blocking, declining) or leave the role.
NOT_PRESSED = re.compile(r"^(lang:|role:|mgru?:block|reg:decline)")


def _place(name: str, language: str) -> tuple[int, int]:
    """A yard and a building with Russian company data (and Uzbek and English renderings); return the building
    and an apartment of it."""
    yard = users.yard_create(name=f"Chilonzor {name}")
    building = users.building_create(
        yard_id=yard.pk,
        address="ул. Навои, 12",
        address_uz="Navoiy koʻchasi, 12",
        address_en="12 Navoi Street",
    )
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="7", floor=2).pk
    return building.pk, apartment


def _home(account_id: int, apartment: int) -> None:
    link = users.apartment_link_request(account_id=account_id, apartment_id=apartment, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))


def _cyrillic(texts: list[str]) -> list[str]:
    """The Cyrillic words shown, each with a little of the text around it (to find where it came from)."""
    found = set()
    for text in texts:
        for allowed in ALLOWED:
            text = text.replace(allowed, "")
        for match in CYRILLIC.finditer(text):
            found.add(text[max(0, match.start() - 25) : match.end() + 25].replace("\n", " "))
    return sorted(found)


def _everything_shown(bot, someone) -> list[str]:
    shown = []
    for reply in bot.shown_to(someone):
        shown.append(reply.text)
        shown.extend(reply.buttons)
        shown.extend(reply.keyboard)
    return shown


def _walk(someone, *, budget: int = 80) -> None:
    """Press every menu button, then every inline button shown (each callback data once) and send each reply
    keyboard's plain buttons, until nothing new is shown or the budget is spent."""
    queue: deque = deque()
    pressed: set[str] = set()
    sent: set[str] = set()

    def seen(replies) -> None:
        for reply in replies:
            for row in reply.markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data and data not in pressed and not NOT_PRESSED.match(data):
                        queue.append((data, reply.message_id))
            for row in reply.markup.get("keyboard", []):
                for button in row:
                    if isinstance(button, dict) and (button.get("request_contact") or button.get("request_location")):
                        continue
                    label = button["text"] if isinstance(button, dict) else str(button)
                    if label not in sent:
                        queue.append((None, label))

    seen([reply for reply in someone.history if reply.keyboard] or [])
    seen(someone.send("/start"))
    while queue and budget > 0:
        data, target = queue.popleft()
        if data is None:
            if target in sent:
                continue
            sent.add(target)
            replies = someone.send(target)
        else:
            if data in pressed:
                continue
            pressed.add(data)
            replies = someone.press(data, message_id=target)
        budget -= 1
        seen(replies)
    for text in ("/help", "/menu", "hello", "/cancel"):
        someone.send(text)
    someone.sticker()
    someone.press("survey:42")  # a button of a feature that is gone


@pytest.mark.parametrize("language", ["uz", "en"])
def test_a_resident_reads_only_their_language(bot, language):
    _building, apartment = _place("R", language)
    account = telegram_person("applicant", 9201, language=language)
    _home(account, apartment)
    resident = bot.person(9201, "Aziz", language_code=language)
    # a request with every step a resident hears of
    number = requests.request_create(
        applicant_id=account, category="plumbing", description="Tap drips", source="bot", apartment_id=apartment
    ).number
    manager, plumber = person("manager"), executor("plumber")
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    requests.request_complete(number=number, actor_id=plumber, photos=[media_file(plumber)], comment="Washer replaced")
    requests.request_move(number=number, to_status="confirmed", actor_kind="manager", actor_id=manager)
    asked = requests.request_create(
        applicant_id=account, category="electricity", description="No light", source="bot", apartment_id=apartment
    ).number
    requests.request_move(
        number=asked, to_status="clarification", actor_kind="manager", actor_id=manager, reason="Which floor?"
    )
    bot.deliver()

    # the new request wizard, typed through to the end
    from bot.i18n import in_language
    from bot.menus import BUTTONS

    resident.send(in_language(language, BUTTONS["new_request"]))
    resident.press(resident.last.markup["inline_keyboard"][0][0]["callback_data"], message_id=resident.last.message_id)
    resident.press(resident.last.markup["inline_keyboard"][0][0]["callback_data"], message_id=resident.last.message_id)
    resident.press(resident.last.markup["inline_keyboard"][0][0]["callback_data"], message_id=resident.last.message_id)
    resident.send("Water on the floor")
    resident.photo(media_bytes("jpeg"))
    resident.press(resident.last.markup["inline_keyboard"][0][0]["callback_data"], message_id=resident.last.message_id)
    resident.press(resident.last.markup["inline_keyboard"][0][0]["callback_data"], message_id=resident.last.message_id)
    resident.press(resident.last.markup["inline_keyboard"][0][0]["callback_data"], message_id=resident.last.message_id)
    _walk(resident)
    bot.deliver()

    found = _cyrillic(_everything_shown(bot, resident))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["uz", "en"])
def test_an_executor_reads_only_their_language(bot, language):
    _building, apartment = _place("E", language)
    account = telegram_person("executor", 9202, language=language, trades=("plumber",))
    on_shift(account, "plumber")
    manager = person("manager")
    resident = person("applicant")
    _home(resident, apartment)
    mine = requests.request_create(
        applicant_id=resident, category="plumbing", description="Leak", apartment_id=apartment
    ).number
    requests.request_move(
        number=mine, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=account
    )
    requests.request_create(applicant_id=resident, category="plumbing", description="Drip", apartment_id=apartment)
    returned = requests.request_create(
        applicant_id=resident, category="plumbing", description="Pipe", apartment_id=apartment
    ).number
    requests.request_move(
        number=returned, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=account
    )
    requests.request_move(number=returned, to_status="in_progress", actor_kind="executor", actor_id=account)
    requests.request_complete(number=returned, actor_id=account, photos=[media_file(account)])
    requests.request_move(
        number=returned, to_status="in_progress", actor_kind="manager", actor_id=manager, reason="Still leaks"
    )
    bot.deliver()
    ivan = bot.person(9202, "Ivan", language_code=language)

    _walk(ivan, budget=100)
    bot.deliver()

    found = _cyrillic(_everything_shown(bot, ivan))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["uz", "en"])
def test_a_manager_reads_only_their_language(bot, language):
    _building, apartment = _place("M", language)
    telegram_person("manager", 9203, language=language)
    plumber = executor("plumber")
    other_manager = person("manager")
    resident = person("applicant", first_name="Dilnoza", last_name="Karimova")
    _home(resident, apartment)
    new = requests.request_create(
        applicant_id=resident, category="plumbing", description="Leak", apartment_id=apartment, urgency="critical"
    ).number
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE "requests"."request" SET reaction_deadline = now() - interval '1 minute' WHERE number = %s""",
            [new],
        )
    done = requests.request_create(
        applicant_id=resident, category="plumbing", description="Tap", apartment_id=apartment
    ).number
    requests.request_move(
        number=done, to_status="assigned", actor_kind="manager", actor_id=other_manager, executor_id=plumber
    )
    requests.request_move(number=done, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    requests.materials_request(
        number=done, actor_kind="executor", actor_id=plumber, items=[{"item": "Tap", "quantity": 1, "unit": "pcs"}]
    )
    requests.request_complete(number=done, actor_id=plumber, photos=[media_file(plumber)])
    newcomer = person(first_name="Olim", last_name="Tursunov")
    link = users.apartment_link_request(account_id=newcomer, apartment_id=apartment, relation="tenant")
    assert link.pk
    applicant = person(first_name="Bobur", last_name="Aliev")
    verification.verification_apply(
        account_id=applicant, specialization="plumber", documents=[media_file(applicant, content=media_bytes("jpeg"))]
    )
    invitations.invitation_create(created_by=other_manager, role="executor", expires_in="24h", specialization="plumber")
    bot.deliver()
    mona = bot.person(9203, "Mona", language_code=language)

    _walk(mona, budget=120)
    bot.deliver()

    found = _cyrillic(_everything_shown(bot, mona))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["uz", "en"])
def test_a_newcomer_and_an_inspector_read_only_their_language(bot, language):
    _place("N", language)
    from bot.i18n import in_language

    newcomer = bot.person(9204, "Sardor", language_code=language)
    newcomer.send("/start")
    newcomer.tap({"uz": "Oʻzbekcha", "en": "English"}[language])
    newcomer.tap("🏠")
    newcomer.contact("+998901234599")
    newcomer.tap("✅")
    _walk(newcomer, budget=40)
    found = _cyrillic(_everything_shown(bot, newcomer))
    assert not found, "\n".join(found)

    telegram_person("inspector", 9205, language=language)
    inspector = bot.person(9205, "Kamola", language_code=language)
    from bot.menus import BUTTONS

    inspector.send(in_language(language, BUTTONS["report_problem"]))
    _walk(inspector, budget=60)
    found = _cyrillic(_everything_shown(bot, inspector))
    assert not found, "\n".join(found)
