"""What the bot reads of people and places, as frozen dataclasses: names and phones, the place tree, pages of
buildings, a person's apartment links, their latest verification, and the moderation queues one item at a time."""

from __future__ import annotations

import pytest

from tests.factories import media_file
from ukbot.users import selectors, services
from ukbot.users.models import Entrance, VerificationApplication
from ukbot.users.tests.factories import apartment, building, profile

pytestmark = pytest.mark.django_db
REVIEWER = 909


def test_a_profile_reads_as_its_name_and_phone_and_a_phone_names_its_holder():
    aziz = profile(first_name="Aziz", last_name="Karimov", phone="+998901234567")

    assert selectors.profile_view(account_id=aziz.account_id) == selectors.ProfileView(
        aziz.account_id, "Aziz", "Karimov", "+998901234567"
    )
    assert selectors.profile_view(account_id=0) is None
    assert selectors.phone_holder(phone="+998901234567") == aziz.account_id
    assert selectors.phone_holder(phone="+998901234568") is None
    assert selectors.phone_holder(phone="") is None


def test_the_place_tree_and_the_buildings_read_as_choices():
    flat = apartment(number="7")
    entrance = Entrance.objects.get(pk=flat.entrance_id)
    house = entrance.building
    services.apartment_create(entrance_id=entrance.pk, number="10")
    others = [building(address=f"Lane {n}") for n in range(3)]

    yards = selectors.place_choices(level="yard")
    assert selectors.PlaceChoice(house.yard_id, house.yard.name) in yards
    assert selectors.place_choices(level="building", parent=house.yard_id) == (
        selectors.PlaceChoice(house.pk, house.address),
    )
    assert selectors.place_choices(level="entrance", parent=house.pk) == (selectors.PlaceChoice(entrance.pk, "1"),)
    assert [c.name for c in selectors.place_choices(level="apartment", parent=entrance.pk)] == ["7", "10"]

    first, rest = selectors.building_page(offset=0, limit=2), selectors.building_page(offset=2, limit=2)
    assert first.total == rest.total == 4
    assert [b.id for b in first.buildings + rest.buildings] == [house.pk, *(b.pk for b in others)]
    assert selectors.building_address(building_id=others[0].pk) == "Lane 0"
    assert selectors.building_address(building_id=0) is None


def test_a_persons_links_and_the_queue_of_pending_links_one_at_a_time():
    first, second = profile(first_name="Lola", phone="+998901111111"), profile()
    home, other = apartment(number="5"), apartment(number="9")
    document = media_file(first.account_id)
    mine = services.apartment_link_request(
        account_id=first.account_id, apartment_id=home.pk, relation="owner", document_media_id=document
    )
    theirs = services.apartment_link_request(account_id=second.account_id, apartment_id=other.pk, relation="tenant")

    [link] = selectors.apartment_links_of(account_id=first.account_id)
    queued = selectors.apartment_link_pending_at(position=3)  # past the end: wraps round
    services.apartment_link_approve(link_id=mine.pk, reviewer_id=REVIEWER)
    services.apartment_link_approve(link_id=theirs.pk, reviewer_id=REVIEWER)

    assert (link.link_id, link.first_name, link.phone, link.apartment_number, link.relation) == (
        mine.pk,
        "Lola",
        "+998901111111",
        "5",
        "owner",
    )
    assert (link.building_address, link.status, link.primary, link.document_media_id) == (
        "Amir Temur 1",
        "pending",
        True,
        document,
    )
    assert (queued.item.link_id, queued.position, queued.total) == (theirs.pk, 1, 2)
    assert selectors.apartment_link_pending_at(position=0) is None
    assert selectors.apartment_links_of(account_id=first.account_id)[0].status == "approved"


def test_the_latest_verification_and_the_queue_of_pending_ones():
    plumber, electrician = profile(), profile()
    older = VerificationApplication.objects.create(
        account_id=plumber.account_id, specialization="plumber", status="rejected", reason="Blurred"
    )
    newer = VerificationApplication.objects.create(
        account_id=plumber.account_id, specialization="plumber", documents=["a", "b"], comment="Hi"
    )
    other = VerificationApplication.objects.create(account_id=electrician.account_id, specialization="electrician")

    latest = selectors.verification_latest(account_id=plumber.account_id)
    queued = selectors.verification_pending_at(position=1)

    assert older.pk < newer.pk
    assert (latest.application_id, latest.status, latest.documents, latest.comment) == (
        newer.pk,
        "pending",
        ("a", "b"),
        "Hi",
    )
    assert selectors.verification_latest(account_id=0) is None
    assert (queued.item.application_id, queued.item.account_id, queued.position, queued.total) == (
        other.pk,
        electrician.account_id,
        1,
        2,
    )
    assert selectors.verification_pending_at(position=2).item.application_id == newer.pk
