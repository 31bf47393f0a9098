"""Registration through the real bot and the fake Bot API: a resident in Uzbek from /start to the manager's decision,
staff by invitation deep link, the deep link to a request, a blocked person, and bad input on the way."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import media_bytes, person, telegram_person
from ukbot.auth import public as auth_public
from ukbot.core.events.relay import drain
from ukbot.notifications import services as notifications
from ukbot.notifications.services import delivery
from ukbot.users import selectors
from ukbot.users import services as users
from ukbot.users.services import invitations, personal_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flat():
    """A yard with one building of one entrance and three apartments; return the apartment "7"."""
    yard = users.yard_create(name="Chilonzor")
    users.yard_create(name="Yunusobod")
    house = users.building_create(yard_id=yard.pk, address="Bunyodkor 5")
    entrance = users.entrance_create(building_id=house.pk, number=1)
    for number in ("5", "6"):
        users.apartment_create(entrance_id=entrance.pk, number=number)
    return users.apartment_create(entrance_id=entrance.pk, number="7")


def _held(telegram_id: int) -> tuple[int, dict] | None:
    """The account id of a Telegram user and what `users` holds about them, or None without an account."""
    account = auth_public.account_by_telegram(telegram_id=telegram_id)
    return (account.id, personal_data(account_id=account.id)) if account else None


def _register_until_consent(someone, *, language_button: str) -> None:
    someone.send("/start")
    someone.tap(language_button)


def test_a_resident_registers_in_uzbek_and_hears_the_managers_decision(bot, flat):
    nodira = bot.person(6101, "Nodira", language_code="ru", last_name="Karimova")
    welcome, choose = nodira.send("/start")
    assert welcome.markup == {"remove_keyboard": True}
    assert choose.buttons == ["🇷🇺 Русский", "🇺🇿 Oʻzbekcha", "🇬🇧 English"]

    [kind] = nodira.tap("Oʻzbekcha")
    assert len(kind.buttons) == 2
    [ask] = nodira.tap("🏠")  # the resident button
    assert ask.keyboard and ask.markup["keyboard"][0][0]["request_contact"] is True

    thanks, consent = nodira.contact("+998 90 123-45-67")
    assert thanks.markup == {"remove_keyboard": True}
    assert len(consent.buttons) == 2
    registered, yards = nodira.tap("✅")
    assert registered.text  # "you are registered" (in Uzbek once the catalogue has it)
    assert yards.buttons == ["Chilonzor", "Yunusobod"]

    [buildings] = nodira.tap("Chilonzor")
    with translation.override("uz"):
        back = gettext("⬅️ Back")
    assert buildings.method == "editMessageText" and buildings.buttons == ["Bunyodkor 5", back]
    [flats] = nodira.tap("Bunyodkor 5")  # one entrance: straight to the apartments
    assert flats.buttons == ["5", "6", "7", back]
    [relation] = nodira.press(flats.data_of("7"), message_id=flats.message_id)
    assert "Bunyodkor 5" in relation.text and len(relation.buttons) == 4
    [document] = nodira.press("arel:owner", message_id=relation.message_id)
    assert len(document.buttons) == 1  # Skip
    [waits] = nodira.photo(media_bytes("jpeg"))
    assert "Bunyodkor 5" in waits.text
    assert waits.keyboard  # the applicant's main menu

    account_id, held = _held(6101)
    profile = held["profile"]
    assert (profile["language"], profile["phone"], profile["first_name"], profile["last_name"]) == (
        "uz",
        "+998901234567",
        "Nodira",
        "Karimova",
    )
    assert held["roles"] == ["applicant"]
    assert [(c["text_version"], c["channel"]) for c in held["consents"]] == [("bot-2026-11", "bot")]
    [link] = held["apartment_links"]
    assert (link["apartment_id"], link["status"], link["relation"], link["is_primary"]) == (
        flat.pk,
        "pending",
        "owner",
        True,
    )
    assert link["document_media_id"] is not None
    [link_id] = [row.pk for row in selectors.apartment_link_list(account_id=account_id)]

    # a manager approves; the resident hears it in Uzbek over Telegram
    manager = person("manager")
    users.apartment_link_approve(link_id=link_id, reviewer_id=manager)
    before = len(bot.shown_to(nodira))
    drain(max_seconds=10)
    delivery.deliver_due(max_seconds=5)
    told = bot.shown_to(nodira)[before:]
    assert len(told) == 1
    assert "Bunyodkor 5 manzilidagi 7-xonadon profilingizga bogʻlandi." in told[0].text


def test_the_same_flow_reads_in_english(bot, flat):
    anna = bot.person(6102, "Anna", language_code="en")
    welcome, choose = anna.send("/start")
    assert welcome.text == "Welcome! I am the bot of your housing management company."
    assert choose.text == "Choose your language:"
    [kind] = anna.tap("English")
    assert kind.text == "Are you a resident or a member of staff?"
    assert kind.buttons == ["🏠 I am a resident", "🧰 I am staff (invited)"]
    [ask] = anna.tap("resident")
    assert ask.text == "Please share your phone number with the button below."
    assert ask.keyboard == ["📱 Share my phone number"]

    # bad input: text, someone else's contact, a sticker
    [hint] = anna.send("+998901112233")
    assert hint.text == "Please press “📱 Share my phone number” below."
    [refused] = anna.contact("+998907777777", user_id=999)
    assert refused.text == "Please share your own phone number with the button below, not someone else's contact."
    [hint] = anna.sticker()
    assert hint.text == "Please press “📱 Share my phone number” below."
    assert _held(6102) is None

    anna.contact("998901112233")  # Telegram sends some numbers without the plus
    consent = anna.last
    assert consent.text.startswith("<b>Consent to the processing of personal data</b>")
    assert consent.buttons == ["✅ Agree", "Decline"]
    [hint] = anna.sticker()
    assert hint.text == "Please press “Agree” or “Decline” above."
    # a double tap on Agree: one consent, the second tap finds the step over
    first = anna.tap("Agree", on=consent)
    second = anna.tap("Agree", on=consent)
    assert [r.text for r in first] == [
        "You are registered! Now let us find your apartment.",
        "Choose your residential complex:",
    ]
    assert second == []
    _account_id, held = _held(6102)
    assert len(held["consents"]) == 1
    assert held["profile"]["phone"] == "+998901112233"

    [hint] = anna.send("hello")
    assert hint.text == "Choose your residential complex with the buttons above, or /cancel."
    anna.tap("Chilonzor")
    anna.tap("Bunyodkor 5")
    [relation] = anna.tap("6")
    assert relation.text == "🏠 Bunyodkor 5, entrance 1, apartment 6\n\nWho are you in this apartment?"
    assert relation.buttons == ["Owner", "Tenant", "Family member", "⬅️ Back"]
    [document] = anna.tap("Tenant")
    [hint] = anna.send("here it is")
    assert hint.text == "Send a photo or a PDF of the document, or press “Skip”."
    [waits] = anna.tap("Skip", on=document)
    assert waits.text == (
        "✅ Thank you! Your request for Bunyodkor 5, entrance 1, apartment 6 is waiting for the manager's approval. "
        "I will let you know the decision here."
    )
    assert anna.tap("Skip", on=document) == []  # the old button
    [link] = _held(6102)[1]["apartment_links"]
    assert (link["relation"], link["status"], link["document_media_id"]) == ("tenant", "pending", None)


def test_declining_the_consent_registers_nothing(bot):
    hans = bot.person(6103, "Hans", language_code="en")
    hans.send("/start")
    hans.tap("English")
    hans.tap("resident")
    hans.contact("+998901110000")
    [declined] = hans.tap("Decline")
    assert declined.text == "Without your consent we cannot register you. Press /start if you change your mind."
    assert _held(6103) is None


def test_a_phone_of_another_person_is_refused_and_the_dialog_stays(bot):
    person("applicant", phone="+998901234000")
    olga = bot.person(6104, "Olga", language_code="en")
    olga.send("/start")
    olga.tap("English")
    olga.tap("resident")
    [refused] = olga.contact("+998901234000")
    assert refused.text == "This phone number is registered to another person. Please contact the management company."
    [hint] = olga.send("what now?")
    assert hint.text == "Please press “📱 Share my phone number” below."


def _invitation(role: str = "executor", specialization: str = "plumber", level: int | None = 4) -> str:
    manager = person("manager")
    if role != "executor":
        specialization, level = "", None
    issued = invitations.invitation_create(
        created_by=manager, role=role, expires_in="24h", specialization=specialization, level=level
    )
    return issued.code


def test_staff_come_by_deep_link_and_get_the_executor_menu(bot):
    code = _invitation()
    bek = bot.person(6201, "Bek", language_code="ru")
    bot_says = bek.send(f"/start inv_{code}")
    assert bot_says[-1].buttons == ["🇷🇺 Русский", "🇺🇿 Oʻzbekcha", "🇬🇧 English"]
    told, ask = bek.tap("English")  # no resident/staff question: the link says staff, and which role
    assert told.text == "You are invited to join as Executor (Plumber)."
    assert ask.text == "Please share your phone number with the button below."
    bek.contact("+998935550011")
    [name] = bek.tap("Agree")
    assert name.text == "Please type your first and last name, e.g. Aziz Karimov."
    [hint] = bek.send("Bek")
    assert hint.text == "Please type your first and last name, e.g. Aziz Karimov."
    [welcome] = bek.send("Bek <b>Usmonov</b>")
    assert welcome.text == "Welcome, Bek! You work as: Executor."
    assert welcome.keyboard == [
        "⏱ Shift",
        "🧰 My tasks",
        "🆓 Free requests",
        "🗄 Archive",
        "🪪 Verification",
        "🌐 Language",
        "❓ Help",
    ]
    _account_id, held = _held(6201)
    profile = held["profile"]
    assert tuple(profile[f] for f in ("first_name", "last_name", "phone", "language", "status")) == (
        "Bek",
        "<b>Usmonov</b>",
        "+998935550011",
        "en",
        "approved",
    )
    assert (held["roles"], held["specializations"], held["invitations_used"]) == (
        ["executor"],
        {"plumber": 4},
        ["executor"],
    )
    assert len(held["consents"]) == 1

    [hello] = bek.send("/start")
    assert hello.text == "Hello, Bek!"


def test_a_typed_code_that_is_invalid_or_used_is_explained_and_can_be_retyped(bot):
    used = _invitation(role="inspector")
    invitations.invitation_accept(code=used, account_id=person())
    good = _invitation(role="inspector")
    ira = bot.person(6202, "Ira", language_code="en")
    ira.send("/start")
    ira.tap("English")
    ira.tap("staff")
    ira.contact("+998935550022")
    [ask_code] = ira.tap("Agree")
    assert ask_code.text == "Please type the invitation code you got from your manager."
    [ask_name] = ira.send("NOT-A-CODE")
    assert ask_name.text == "Please type your first and last name, e.g. Aziz Karimov."
    ira.send("Ira Petrova")
    assert ira.last.text == (
        "This invitation code is not valid. Check it and try again.\nPlease type the invitation code again, or /cancel."
    )
    [refused] = ira.send(used)
    assert refused.text == (
        "This invitation was already used or withdrawn.\nPlease type the invitation code again, or /cancel."
    )
    [welcome] = ira.send(good)
    assert welcome.text == "Welcome, Ira! You work as: Inspector."
    assert welcome.keyboard == ["🔎 Report a problem", "📋 My requests", "🌐 Language", "❓ Help"]


def test_start_with_a_request_number_opens_its_card_for_a_registered_person(bot):
    from ukbot.requests import services as requests

    account = telegram_person("applicant", 6301, language="en")
    request = requests.request_create(
        applicant_id=account, category="plumbing", urgency="medium", description="Leak <under> the sink", address="Home"
    )
    kamila = bot.person(6301, "Kamila", language_code="en")
    [card] = kamila.send(f"/start req_{request.number}")
    assert f"Request {request.number}" in card.text
    assert "Leak &lt;under&gt; the sink" in card.text
    [missing] = kamila.send("/start req_000000-999")
    assert missing.text == "Request 000000-999 was not found."

    newcomer = bot.person(6302, "New", language_code="en")
    welcome, choose = newcomer.send(f"/start req_{request.number}")
    assert welcome.text.endswith("Please register first, then open the request again.")
    assert choose.text == "Choose your language:"


def test_a_registered_person_is_greeted_by_name_and_telegram_comes_back_on(bot):
    account = telegram_person("applicant", 6401, language="en")
    users.profile_update(account_id=account, first_name="Dilnoza")
    delivery.channel_disable(account_id=account, channel="telegram", reason="bot_blocked")
    dilnoza = bot.person(6401, "Dilnoza", language_code="en")
    [hello] = dilnoza.send("/start")
    assert hello.text == "Hello, Dilnoza!"
    assert hello.keyboard == [
        "📝 New request",
        "📋 My requests",
        "🏠 My apartments",
        "🔔 Notifications",
        "🌐 Language",
        "❓ Help",
    ]
    assert notifications.channels_on(account_id=account)["telegram"] is True


def test_a_blocked_person_hears_only_that_access_is_blocked(bot):
    account = telegram_person("applicant", 6501, language="en")
    users.profile_block(account_id=account)
    boris = bot.person(6501, "Boris", language_code="en")
    for action in (lambda: boris.send("/start"), lambda: boris.send("📝 New request"), boris.sticker):
        [reply] = action()
        assert reply.text == "Your access is blocked. Please contact the management company."


def test_a_registered_person_with_an_invitation_link_gets_the_role_as_well(bot):
    account = telegram_person("applicant", 6701, language="en")
    code = _invitation(role="inspector")
    sardor = bot.person(6701, "Sardor", language_code="en")
    [granted] = sardor.send(f"/start inv_{code}")
    assert granted.text == "You now have the role: Inspector."
    assert "🔁 Switch role" in granted.keyboard
    assert selectors.profile_roles(account_id=account) == ["applicant", "inspector"]
    [used] = sardor.send(f"/start inv_{code}")
    assert used.text == "This invitation was already used or withdrawn."


def test_cancel_in_the_middle_of_registration_leaves_nothing_and_start_begins_again(bot):
    lola = bot.person(6702, "Lola", language_code="en")
    lola.send("/start")
    lola.tap("English")
    lola.tap("resident")
    [cancelled] = lola.send("/cancel")
    assert cancelled.text == "Cancelled."
    [again] = lola.send("📱 Share my phone number")
    assert again.text == "Press /start to register."
    assert _held(6702) is None
    assert [r.text for r in lola.send("/start")][-1] == "Choose your language:"
