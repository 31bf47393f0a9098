"""A resident's "My apartments": the links with their status and the primary one, adding another apartment through
the same wizard as registration (with entrances and pages in a big building), making one primary, removing one."""

from __future__ import annotations

import pytest

from tests.factories import media_bytes, person, telegram_person
from ukbot.users import selectors
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def places():
    """A yard with a building of two entrances: 3 apartments in the first, 40 in the second."""
    yard = users.yard_create(name="Mirobod")
    house = users.building_create(yard_id=yard.pk, address="Oybek 12")
    first = users.entrance_create(building_id=house.pk, number=1)
    second = users.entrance_create(building_id=house.pk, number=2)
    flats = {number: users.apartment_create(entrance_id=first.pk, number=number).pk for number in ("1", "2", "3")}
    for number in range(4, 44):
        flats[str(number)] = users.apartment_create(entrance_id=second.pk, number=str(number)).pk
    return flats


def _links(account_id: int) -> list[tuple[str, str, bool]]:
    return [
        (link.apartment.number, link.status, link.is_primary)
        for link in selectors.apartment_link_list(account_id=account_id)
    ]


def test_the_list_shows_status_reason_and_primary_and_offers_actions(bot, places):
    account = telegram_person("applicant", 6601, language="en")
    manager = person("manager")
    approved = users.apartment_link_request(account_id=account, apartment_id=places["1"], relation="owner")
    users.apartment_link_approve(link_id=approved.pk, reviewer_id=manager)
    users.apartment_link_request(account_id=account, apartment_id=places["2"], relation="tenant")
    rejected = users.apartment_link_request(account_id=account, apartment_id=places["3"], relation="family")
    users.apartment_link_reject(link_id=rejected.pk, reviewer_id=manager, reason="No <proof>")

    malika = bot.person(6601, "Malika", language_code="en")
    [listing] = malika.send("🏠 My apartments")
    assert listing.text == (
        "<b>My apartments</b>\n"
        "\n1. Oybek 12, apartment 1 — owner\n   ✅ approved · ⭐ primary\n"
        "\n2. Oybek 12, apartment 2 — tenant\n   ⏳ waiting for approval\n"
        "\n3. Oybek 12, apartment 3 — family member\n   ❌ rejected: No &lt;proof&gt;"
    )
    assert listing.buttons == ["🗑 Remove 1", "⭐ Make 2 primary", "🗑 Remove 2", "🗑 Remove 3", "➕ Add an apartment"]

    [after] = malika.tap("Make 2 primary")
    assert after.method == "editMessageText"
    assert "⏳ waiting for approval · ⭐ primary" in after.text
    assert _links(account) == [("1", "approved", False), ("2", "pending", True), ("3", "rejected", False)]

    [confirm] = malika.tap("Remove 3")
    assert confirm.text == "Remove Oybek 12, apartment 3 from your apartments?"
    [kept] = malika.tap("No, keep it")
    assert len(_links(account)) == 3 and kept.buttons[-1] == "➕ Add an apartment"
    [confirm] = malika.tap("Remove 2")
    [removed] = malika.tap("Yes, remove")
    assert removed.text.startswith("Removed.\n\n<b>My apartments</b>")
    # the primary link left: the approved one is primary again
    assert _links(account) == [("1", "approved", True), ("3", "rejected", False)]
    [again] = malika.tap("Yes, remove", on=confirm)  # the old confirmation, tapped again
    assert again.text.startswith("This apartment is no longer in your list.")
    assert len(_links(account)) == 2


def test_a_resident_without_apartments_adds_one_by_entrance_and_page(bot, places):
    account = telegram_person("applicant", 6602, language="en")
    timur = bot.person(6602, "Timur", language_code="en")
    [empty] = timur.send("🏠 My apartments")
    assert (empty.text, empty.buttons) == ("You have no apartments yet.", ["➕ Add an apartment"])
    [yards] = timur.tap("Add an apartment")
    assert (yards.text, yards.buttons) == ("Choose your residential complex:", ["Mirobod"])
    timur.tap("Mirobod")
    [entrances] = timur.tap("Oybek 12")
    assert (entrances.text, entrances.buttons) == ("Choose your entrance:", ["Entrance 1", "Entrance 2", "⬅️ Back"])
    [page1] = timur.tap("Entrance 2")
    assert page1.buttons[0] == "4" and page1.buttons[29] == "33" and page1.buttons[-3:] == ["1/2", "▶️", "⬅️ Back"]
    [page2] = timur.tap("▶️")
    assert page2.buttons == [str(n) for n in range(34, 44)] + ["◀️", "2/2", "⬅️ Back"]
    [relation] = timur.tap("42")
    assert relation.text.startswith("🏠 Oybek 12, entrance 2, apartment 42")
    # changed their mind: back to the apartments, to the entrances, and into the first entrance
    [flats] = timur.tap("Back", on=relation)
    assert flats.text == "Choose your apartment:" and flats.buttons[0] == "4"
    [entrances] = timur.tap("Back", on=flats)
    assert entrances.buttons[:2] == ["Entrance 1", "Entrance 2"]
    [flats] = timur.tap("Entrance 1")
    assert flats.buttons == ["1", "2", "3", "⬅️ Back"]
    timur.tap("Back")
    timur.tap("Entrance 2")
    timur.tap("▶️")
    [relation] = timur.tap("42")
    timur.tap("Family member")
    [waits] = timur.document(media_bytes("pdf"), name="lease.pdf")
    assert waits.text.startswith("✅ Thank you! Your request for Oybek 12, entrance 2, apartment 42 is waiting")
    [link] = selectors.apartment_link_list(account_id=account)
    assert (link.apartment_id, link.relation, link.status, link.is_primary) == (places["42"], "family", "pending", True)
    assert link.document_media_id is not None


def test_asking_for_an_apartment_one_already_has_is_refused_and_the_menu_stays(bot, places):
    account = telegram_person("applicant", 6605, language="en")
    users.apartment_link_request(account_id=account, apartment_id=places["2"], relation="owner")
    rano = bot.person(6605, "Rano", language_code="en")
    rano.send("🏠 My apartments")
    rano.tap("Add an apartment")
    rano.tap("Mirobod")
    rano.tap("Oybek 12")
    rano.tap("Entrance 1")
    rano.tap("2")
    rano.tap("Owner")
    [hint] = rano.sticker()
    assert hint.text == "Send a photo or a PDF of the document, or press “Skip”."
    [refused] = rano.tap("Skip")
    assert refused.text == "You already have a link to this apartment, pending or approved."
    assert refused.keyboard[:2] == ["📝 New request", "📋 My requests"]
    assert len(selectors.apartment_link_list(account_id=account)) == 1


def test_buttons_of_an_old_list_and_of_another_role_do_nothing_harmful(bot, places):
    account = telegram_person("applicant", 6603, language="en")
    other = telegram_person("applicant", 6604, language="en")
    link = users.apartment_link_request(account_id=other, apartment_id=places["1"], relation="owner")
    zarina = bot.person(6603, "Zarina", language_code="en")
    [refused] = zarina.press(f"apt:remove_yes:{link.pk}")  # someone else's link
    assert refused.text.startswith("This apartment is no longer in your list.")
    assert len(selectors.apartment_link_list(account_id=other)) == 1
    assert zarina.press("aplace:flat:1") == []  # a wizard button with no wizard running: just a notice
    assert selectors.apartment_link_list(account_id=account).count() == 0


def test_an_album_as_the_document_keeps_the_first_file_and_says_so_once(bot, places):
    account = telegram_person("applicant", 6605, language="en")
    lola = bot.person(6605, "Lola", language_code="en")
    lola.send("🏠 My apartments")
    lola.tap("Add an apartment")
    lola.tap("Mirobod")
    lola.tap("Oybek 12")
    lola.tap("Entrance 1")
    lola.tap("2")
    lola.tap("Owner")

    first = lola.photo(media_bytes("jpeg"), media_group_id="album-1")
    rest = [lola.photo(media_bytes("jpeg"), media_group_id="album-1") for _ in range(2)]

    assert [r.text[:40] for r in first] == [
        "✅ Thank you! Your request for Oybek 12, ",
        "Only the first file is kept: one documen",
    ]
    assert rest == [[], []]  # the rest of the album is not answered
    [link] = selectors.apartment_link_list(account_id=account)
    assert (link.apartment_id, link.status) == (places["2"], "pending") and link.document_media_id is not None
    [hint] = lola.send("hello")  # a message of its own is answered as ever
    assert hint.text.startswith("I did not understand that.")
