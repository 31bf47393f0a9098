"""Demo data for `make run`: two residential complexes in Tashkent with their buildings, and the staff and
residents who work and live there. Loaded once, into a database that has no places yet."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from ukbot.auth import public as auth_public
from ukbot.users import services
from ukbot.users.models import Apartment, Yard
from ukbot.users.specializations import SpecializationKey

# Real addresses and coordinates of two Tashkent neighbourhoods (Mirobod and Yunusobod); each building's address
# in Russian (the company's language), Uzbek (Latin) and English (decision 0020).
YARDS = [
    (
        "ЖК «Mirobod Avenue»",
        "Ташкент, Мирабадский район, ул. Шахрисабз",
        [
            ("ул. Шахрисабз, 5", "Shahrisabz koʻchasi, 5", "5 Shakhrisabz Street", "41.299500", "69.276500"),
            ("ул. Шахрисабз, 7", "Shahrisabz koʻchasi, 7", "7 Shakhrisabz Street", "41.299900", "69.277200"),
            ("ул. Шахрисабз, 9", "Shahrisabz koʻchasi, 9", "9 Shakhrisabz Street", "41.300300", "69.277900"),
        ],
    ),
    (
        "ЖК «Yunusobod-4»",
        "Ташкент, Юнусабадский район, 4-й квартал",
        [
            ("Юнусабад-4, дом 12", "Yunusobod-4, 12-uy", "12 Yunusabad-4", "41.357500", "69.287000"),
            ("Юнусабад-4, дом 14", "Yunusobod-4, 14-uy", "14 Yunusabad-4", "41.358000", "69.287800"),
        ],
    ),
]
ENTRANCES, FLOORS, PER_FLOOR = 2, 4, 2
STAFF = [
    ("demo-manager-1", "Дилноза", "Каримова", "manager"),
    ("demo-manager-2", "Рустам", "Алиев", "manager"),
    ("demo-inspector", "Шерзод", "Юсупов", "inspector"),
]
RESIDENTS = [
    ("demo-resident-1", "Нодира", "Рахимова", "ru"),
    ("demo-resident-2", "Bobur", "Toshmatov", "uz"),
    ("demo-resident-3", "Anna", "Petrova", "en"),
    ("demo-resident-4", "Малика", "Саидова", "ru"),
]


def _person(username: str, first: str, last: str, *, language: str = "ru") -> int:
    account = auth_public.account_create(
        username=username, password=settings.DEMO_PASSWORD, first_name=first, last_name=last
    )
    services.profile_create(account_id=account.id, first_name=first, last_name=last, language=language)
    services.profile_approve(account_id=account.id)
    return account.id


def seed() -> str:
    """Create the demo places and people unless any place exists; return a one-line summary."""
    if Yard.objects.exists():
        return "already there"
    apartments = 0
    for name, address, buildings in YARDS:
        yard = services.yard_create(name=name, address=address)
        for building_address, address_uz, address_en, latitude, longitude in buildings:
            building = services.building_create(
                yard_id=yard.pk,
                address=building_address,
                address_uz=address_uz,
                address_en=address_en,
                latitude=Decimal(latitude),
                longitude=Decimal(longitude),
            )
            for entrance_number in range(1, ENTRANCES + 1):
                entrance = services.entrance_create(building_id=building.pk, number=entrance_number)
                for floor in range(1, FLOORS + 1):
                    for n in range(1, PER_FLOOR + 1):
                        number = (entrance_number - 1) * FLOORS * PER_FLOOR + (floor - 1) * PER_FLOOR + n
                        services.apartment_create(entrance_id=entrance.pk, number=str(number), floor=floor)
                        apartments += 1
    staff = {}
    for username, first, last, role in STAFF:
        staff[username] = _person(username, first, last)
        services.role_grant(account_id=staff[username], role=role, granted_by=None)
    executors = 0
    for index, key in enumerate(SpecializationKey.values):
        account_id = _person(f"demo-{key}", "Исполнитель", key.capitalize())
        services.role_grant(account_id=account_id, role="executor", granted_by=None)
        services.specialization_set(account_id=account_id, key=key, level=index % 5 + 1)
        executors += 1
    # Residents of the first building, approved by the first manager; the last one is family of the first, so
    # the two are co-residents who see each other's requests.
    flats = list(Apartment.objects.filter(entrance__building__address=YARDS[0][2][0][0]).order_by("pk"))
    for index, (username, first, last, language) in enumerate(RESIDENTS):
        account_id = _person(username, first, last, language=language)
        services.role_grant(account_id=account_id, role="applicant", granted_by=None)
        owner = index < len(RESIDENTS) - 1
        link = services.apartment_link_request(
            account_id=account_id, apartment_id=flats[index if owner else 0].pk, relation="owner" if owner else "family"
        )
        services.apartment_link_approve(link_id=link.pk, reviewer_id=staff[STAFF[0][0]])
    return (
        f"{len(YARDS)} yards, {sum(len(b) for _, _, b in YARDS)} buildings, {apartments} apartments, "
        f"{len(STAFF)} staff, {executors} executors, {len(RESIDENTS)} residents"
    )
