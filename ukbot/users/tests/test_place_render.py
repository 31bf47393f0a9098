"""A place in the reader's language (decision 0020): a building's address per language with the company's as the
fallback, entrance, floor and apartment labelled in that language, a typed address kept as typed, and a page of
places read in two queries at most; the admin and the buildings API show the versions."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import person, signed_in
from ukbot.users import public, selectors, services
from ukbot.users.models import Building

pytestmark = pytest.mark.django_db


def _flat(*, address: str = "ул. Шахрисабз, 9", uz: str = "", en: str = "", number: str = "5") -> public.Place:
    yard = services.yard_create(name=f"ЖК {address}")
    building = services.building_create(yard_id=yard.pk, address=address, address_uz=uz, address_en=en)
    entrance = services.entrance_create(building_id=building.pk, number=2)
    apartment = services.apartment_create(entrance_id=entrance.pk, number=number, floor=3)
    place = public.place_of(apartment_id=apartment.pk)
    assert place is not None
    return place


def _ref(place: public.Place, snapshot: str | None = None) -> public.PlaceRef:
    """The place as a request filed there keeps it."""
    return public.PlaceRef(
        building_id=place.building_id,
        apartment_id=place.apartment_id,
        entrance=str(place.entrance_number),
        floor=place.floor,
        snapshot=place.snapshot if snapshot is None else snapshot,
    )


def test_a_place_reads_in_each_language_and_keeps_its_snapshot_in_the_companys():
    place = _flat(uz="Shahrisabz koʻchasi, 9", en="9 Shakhrisabz Street")

    rendered = {
        language: public.places_render(places=[_ref(place)], language=language)[0] for language in ["ru", "uz", "en"]
    }

    assert rendered == {
        "ru": "ул. Шахрисабз, 9, под. 2, эт. 3, кв. 5",
        "uz": "Shahrisabz koʻchasi, 9, 2-podyezd, 3-qavat, 5-xonadon",
        "en": "9 Shakhrisabz Street, entr. 2, fl. 3, apt. 5",
    }
    assert place.snapshot == "ул. Шахрисабз, 9, кв. 5"  # whatever language is active (English in these tests)
    assert translation.get_language() == "en"


def test_a_building_without_a_version_reads_as_the_companys_address_with_labels_translated():
    place = _flat(address="ул. Навои, 12", en="12 Navoi Street")

    assert public.place_render(language="uz", building_id=place.building_id, apartment_id=place.apartment_id) == (
        "ул. Навои, 12, 5-xonadon"
    )
    assert public.place_render(language="en", building_id=place.building_id) == "12 Navoi Street"


def test_a_typed_or_outdated_address_reads_as_it_was_kept():
    place = _flat(uz="Shahrisabz koʻchasi, 9", en="9 Shakhrisabz Street")
    typed = _ref(place, snapshot="Детская площадка за домом 9")
    nowhere = public.PlaceRef(snapshot="Навои, 12, у подъезда")
    gone = public.PlaceRef(building_id=999_999, snapshot="ул. Снесённая, 1")
    renamed = _ref(place)
    Building.objects.filter(pk=place.building_id).update(address="ул. Шахрисабз, 9А")

    assert public.places_render(places=[typed, nowhere, gone, renamed], language="en") == (
        "Детская площадка за домом 9",
        "Навои, 12, у подъезда",
        "ул. Снесённая, 1",
        "ул. Шахрисабз, 9, кв. 5",
    )


def test_an_apartment_number_kept_only_in_the_snapshot_is_read_in_each_language():
    place = _flat(address="Юнусабад-4, дом 12", uz="Yunusobod-4, 12-uy", en="12 Yunusabad-4")
    snapshot = public.place_snapshot(building_id=place.building_id, apartment_number="7б")
    inspected = public.PlaceRef(building_id=place.building_id, snapshot=snapshot)

    assert snapshot == "Юнусабад-4, дом 12, кв. 7б"
    assert public.places_render(places=[inspected], language="uz") == ("Yunusobod-4, 12-uy, 7б-xonadon",)
    assert public.places_render(places=[inspected], language="en") == ("12 Yunusabad-4, apt. 7б",)
    assert public.place_snapshot(building_id=999_999, apartment_number="7") == ""


def test_a_page_of_places_is_read_in_two_queries_at_most(django_assert_num_queries):
    flats = [_flat(address=f"Lane {n}", en=f"{n} Lane", number=str(n)) for n in range(4)]
    with_apartments = [_ref(place) for place in flats]
    yard = services.yard_create(name="Open field")
    bare = [services.building_create(yard_id=yard.pk, address=f"Field {n}", address_en=f"{n} Field") for n in range(3)]
    buildings_only = [public.PlaceRef(building_id=building.pk, entrance="1") for building in bare]
    typed = [public.PlaceRef(snapshot="Somewhere")] * 3

    with django_assert_num_queries(2):
        shown = public.places_render(places=[*with_apartments, *buildings_only, *typed], language="en")
    with django_assert_num_queries(1):
        public.places_render(places=[*with_apartments, *with_apartments], language="en")
    with django_assert_num_queries(1):
        public.places_render(places=buildings_only, language="en")
    with django_assert_num_queries(0):
        public.places_render(places=typed, language="en")

    assert shown == (
        *(f"{n} Lane, entr. 2, fl. 3, apt. {n}" for n in range(4)),
        *(f"{n} Field, entr. 1" for n in range(3)),
        *["Somewhere"] * 3,
    )


def test_the_companys_language_reads_address_and_the_others_their_versions(settings):
    settings.LANGUAGE_CODE = "uz"
    yard = services.yard_create(name="Chilonzor")
    building = services.building_create(
        yard_id=yard.pk, address="Bunyodkor koʻchasi, 5", address_ru="ул. Бунёдкор, 5", address_uz="ignored"
    )

    assert selectors.building_address(building_id=building.pk) == "Bunyodkor koʻchasi, 5"
    assert selectors.building_address(building_id=building.pk, language="uz") == "Bunyodkor koʻchasi, 5"
    assert selectors.building_address(building_id=building.pk, language="ru") == "ул. Бунёдкор, 5"
    assert selectors.building_address(building_id=building.pk, language="en") == "Bunyodkor koʻchasi, 5"


def test_the_place_tree_and_a_residents_apartments_name_the_building_in_the_language_asked():
    place = _flat(uz="Shahrisabz koʻchasi, 9", en="9 Shakhrisabz Street")
    resident = services.profile_create(account_id=person(profile=False)).account_id
    assert place.apartment_id is not None
    link = services.apartment_link_request(account_id=resident, apartment_id=place.apartment_id, relation="owner")
    services.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))

    assert [c.name for c in selectors.place_choices(level="building", parent=place.yard_id, language="en")] == [
        "9 Shakhrisabz Street"
    ]
    assert [c.name for c in selectors.place_choices(level="building", parent=place.yard_id)] == ["ул. Шахрисабз, 9"]
    assert [b.name for b in selectors.building_page(language="uz").buildings] == ["Shahrisabz koʻchasi, 9"]
    assert [a.building_address for a in public.apartments_of(account_id=resident, language="uz")] == [
        "Shahrisabz koʻchasi, 9"
    ]
    assert [v.building_address for v in selectors.apartment_links_of(account_id=resident, language="en")] == [
        "9 Shakhrisabz Street"
    ]
    brief = public.apartment_link_brief(link_id=link.pk, language="en")
    assert brief is not None and (brief.building_id, brief.building_address) == (
        place.building_id,
        "9 Shakhrisabz Street",
    )
    in_uzbek = public.place_of(apartment_id=place.apartment_id, language="uz")
    assert in_uzbek is not None and in_uzbek.building_address == "Shahrisabz koʻchasi, 9"


def test_the_building_admin_edits_the_versions_of_the_other_languages(admin_client):
    place = _flat()
    url = reverse("admin:users_building_change", args=[place.building_id])

    page = admin_client.get(url).content.decode()
    assert 'name="address_uz"' in page and 'name="address_en"' in page
    assert 'name="address_ru"' not in page  # Russian is the company's language: `address` is that version
    response = admin_client.post(
        url,
        {
            "yard": place.yard_id,
            "address": "ул. Шахрисабз, 9",
            "address_uz": "Shahrisabz koʻchasi, 9",
            "address_en": "9 Shakhrisabz Street",
            "latitude": "",
            "longitude": "",
            "entrances-TOTAL_FORMS": "0",
            "entrances-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    building = Building.objects.get(pk=place.building_id)
    assert (building.address_uz, building.address_en, building.address_ru) == (
        "Shahrisabz koʻchasi, 9",
        "9 Shakhrisabz Street",
        "",
    )
    assert (
        admin_client.get(reverse("admin:users_building_changelist"), {"q": "Shakhrisabz"}).context["cl"].result_count
        == 1
    )


def test_the_buildings_api_gives_the_address_for_each_language():
    place = _flat(en="9 Shakhrisabz Street")
    client = signed_in(person("applicant"))

    data = client.get(f"/api/v1/buildings/{place.building_id}").json()["data"]

    assert data["address"] == "ул. Шахрисабз, 9"
    assert data["addresses"] == {"ru": "ул. Шахрисабз, 9", "uz": "ул. Шахрисабз, 9", "en": "9 Shakhrisabz Street"}
