"""Every address is shown in the reader's language (decision 0020): a request filed by a Russian-speaking resident
reads in Uzbek to an Uzbek executor and in English to an English manager, on the card, in the lists and in the
notifications; a typed address is shown as typed, and a building without an Uzbek or English version reads in the
company's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from bot.i18n import in_language
from bot.menus import BUTTONS
from tests.factories import person, telegram_person
from ukbot.core.events.relay import drain
from ukbot.notifications.models import Notification
from ukbot.notifications.services import delivery
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.models import Request
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)

RU = "ул. Шахрисабз, 9, под. 2, эт. 3, кв. 5"
UZ = "Shahrisabz koʻchasi, 9, 2-podyezd, 3-qavat, 5-xonadon"
EN = "9 Shakhrisabz Street, entr. 2, fl. 3, apt. 5"


def t(language: str, msgid: str) -> str:
    with translation.override(language):
        return gettext(msgid)


def _home(account_id: int, *, address: str = "ул. Шахрисабз, 9", uz: str = "", en: str = "") -> int:
    """Apartment 5 on the third floor of entrance 2 of a building, approved as the person's home; return its id."""
    yard = users.yard_create(name=f"ЖК {address}")
    building = users.building_create(yard_id=yard.pk, address=address, address_uz=uz, address_en=en)
    entrance = users.entrance_create(building_id=building.pk, number=2)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="5", floor=3).pk
    link = users.apartment_link_request(account_id=account_id, apartment_id=apartment, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))
    return apartment


def _filed(resident: int, **fields) -> str:
    return requests_services.request_create(
        applicant_id=resident, category="plumbing", description="Течёт стояк", source="bot", **fields
    ).number


def _told(account_id: int, kind: str) -> str:
    """The text of the Telegram message of ``kind`` queued to the person, once the event bus has run."""
    drain(max_seconds=10)
    return Notification.objects.get(account_id=account_id, event_type=kind, channel="telegram").text


def _deliver() -> None:
    drain(max_seconds=10)
    Notification.objects.filter(status="queued").update(next_attempt_at=timezone.now(), not_before=None)
    delivery.deliver_due(max_seconds=5)


def test_a_russian_residents_request_reads_in_uzbek_to_the_executor_and_in_english_to_the_manager(bot):
    resident = telegram_person("applicant", 7301, language="ru")
    _home(resident, uz="Shahrisabz koʻchasi, 9", en="9 Shakhrisabz Street")
    manager = telegram_person("manager", 7302, language="en")
    plumber = telegram_person("executor", 7303, language="uz", trades=("plumber",))
    number = _filed(resident)
    # the request keeps the company's text as its snapshot, for history and search
    assert Request.objects.get(pk=number).address == "ул. Шахрисабз, 9, кв. 5"

    mona = bot.person(7302, "Mona", language_code="en")
    [listed] = mona.send(in_language("en", BUTTONS["mgr_new"]))
    assert f"📍 {EN}" in listed.text
    [card] = mona.press(f"req:open:{number}")
    assert f"Address: {EN}\n" in card.text

    requests_services.request_reassign(number=number, executor_id=plumber, actor_id=manager)
    assert UZ in _told(plumber, "request.assigned")
    bobur = bot.person(7303, "Bobur", language_code="uz")
    [card] = bobur.press(f"req:open:{number}")
    assert f"{t('uz', 'Address')}: {UZ}\n" in card.text
    [tasks] = bobur.send(in_language("uz", BUTTONS["my_tasks"]))
    assert f"📍 {UZ}" in tasks.text

    # the manager hears of the missed deadline in English; the resident reads their own card in Russian
    requests_services.sla_sweep(now=timezone.now() + timedelta(days=30))
    assert EN in _told(manager, "request.sla_breached")
    _deliver()
    assert any(EN in shown.text for shown in bot.shown_to(mona))
    anna = bot.person(7301, "Анна", language_code="ru")
    [card] = anna.press(f"req:open:{number}")
    assert f"{t('ru', 'Address')}: {RU}\n" in card.text


def test_a_typed_address_is_shown_as_typed_to_every_reader(bot):
    housed = telegram_person("applicant", 7311, language="ru")
    _home(housed, uz="Shahrisabz koʻchasi, 9", en="9 Shakhrisabz Street")
    homeless = telegram_person("applicant", 7312, language="ru")
    manager = telegram_person("manager", 7313, language="en")
    plumber = telegram_person("executor", 7314, language="uz", trades=("plumber",))
    # typed by a resident with a home (the request still belongs to their home), and by one without a place at all
    playground = _filed(housed, address="Детская площадка за домом 9")
    street = _filed(homeless, address="Навои, 12, у подъезда")
    assert Request.objects.get(pk=street).building_id is None

    mona = bot.person(7313, "Mona", language_code="en")
    for number, typed in ((playground, "Детская площадка за домом 9"), (street, "Навои, 12, у подъезда")):
        [card] = mona.press(f"req:open:{number}")
        assert f"Address: {typed}\n" in card.text
        requests_services.request_reassign(number=number, executor_id=plumber, actor_id=manager)
        assert typed in _told(plumber, "request.assigned")
        Notification.objects.all().delete()


def test_a_building_without_uzbek_or_english_reads_in_the_companys_language_with_translated_labels(bot):
    resident = telegram_person("applicant", 7321, language="ru")
    _home(resident, address="ул. Навои, 12")
    manager = telegram_person("manager", 7322, language="en")
    plumber = telegram_person("executor", 7323, language="uz", trades=("plumber",))
    number = _filed(resident)

    mona = bot.person(7322, "Mona", language_code="en")
    [card] = mona.press(f"req:open:{number}")
    assert "Address: ул. Навои, 12, entr. 2, fl. 3, apt. 5\n" in card.text
    requests_services.request_reassign(number=number, executor_id=plumber, actor_id=manager)
    assert "ул. Навои, 12, 2-podyezd, 3-qavat, 5-xonadon" in _told(plumber, "request.assigned")


def test_the_apartment_screens_and_the_new_request_wizard_name_the_building_in_the_readers_language(bot):
    resident = telegram_person("applicant", 7331, language="en")
    _home(resident, uz="Shahrisabz koʻchasi, 9", en="9 Shakhrisabz Street")
    users.building_create(
        yard_id=users.yard_create(name="Mirobod").pk, address="ул. Шахрисабз, 7", address_en="7 Shakhrisabz Street"
    )
    anna = bot.person(7331, "Anna", language_code="en")

    [listing] = anna.send("🏠 My apartments")
    assert "1. 9 Shakhrisabz Street, apartment 5 — owner" in listing.text
    anna.tap("Add an apartment")
    [buildings] = anna.tap("Mirobod")
    assert buildings.buttons[0] == "7 Shakhrisabz Street"

    anna.send("/cancel")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    [where] = [reply for reply in anna.tap("low") if reply.method == "sendMessage"]
    assert where.buttons[0] == "9 Shakhrisabz Street, apt. 5"


def test_an_inspectors_apartment_number_outside_the_place_tree_is_kept_and_read_in_each_language(bot):
    inspector = telegram_person("inspector", 7341, language="uz")
    telegram_person("manager", 7342, language="en")
    yard = users.yard_create(name="Yunusobod-4")
    users.building_create(
        yard_id=yard.pk, address="Юнусабад-4, дом 12", address_uz="Yunusobod-4, 12-uy", address_en="12 Yunusabad-4"
    )
    sherzod = bot.person(7341, "Sherzod", language_code="uz")

    sherzod.send(in_language("uz", BUTTONS["report_problem"]))
    [prompt] = sherzod.tap("Yunusobod-4, 12-uy")
    assert prompt.text.startswith("🏢 Yunusobod-4, 12-uy\n")
    sherzod.send("7")
    sherzod.tap(t("uz", "Plumbing"))
    sherzod.send("Подвал затоплен")
    sherzod.tap(t("uz", "⏭ Skip"))

    request = Request.objects.get(applicant_id=inspector)
    assert request.address == "Юнусабад-4, дом 12, кв. 7"  # the company's text
    mona = bot.person(7342, "Mona", language_code="en")
    [card] = mona.press(f"req:open:{request.number}")
    assert "Address: 12 Yunusabad-4, apt. 7\n" in card.text


def test_a_page_of_a_list_reads_its_places_at_once_however_many_rows():
    manager = person("manager")
    first = telegram_person("applicant", 7351, language="ru")
    _home(first, address="Lane 0", en="0 Lane")
    _filed(first)

    def page(**window):
        with CaptureQueriesContext(connection) as queries:
            lines = requests_selectors.request_lines(account_id=manager, actor_kind="manager", language="en", **window)
        return lines, len(queries)

    one, one_cost = page(limit=5)
    for n in range(1, 5):
        resident = telegram_person("applicant", 7351 + n, language="ru")
        _home(resident, address=f"Lane {n}", en=f"{n} Lane")
        _filed(resident)
    five, five_cost = page(limit=5)

    assert [line.address for line in one.lines] == ["0 Lane, entr. 2, fl. 3, apt. 5"]
    assert sorted(line.address for line in five.lines) == [f"{n} Lane, entr. 2, fl. 3, apt. 5" for n in range(5)]
    assert five_cost == one_cost
