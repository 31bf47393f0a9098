"""The requests list read in one hand-written statement answers exactly what the ORM's generic path answers.

``RequestListApi`` reads a page with ``selectors.requests_page`` where it can. Every query below goes through
HTTP, and its page and total are compared with the generic path: the view's own filter backends (django-filter,
search, ordering) over ``requests_visible_to``, as DRF runs them.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import executor, person, signed_in
from ukbot.requests import services
from ukbot.requests.api.views import RequestListApi
from ukbot.requests.models import Request
from ukbot.users import services as users

pytestmark = pytest.mark.django_db

DESCRIPTIONS = [
    "Water is leaking from the ceiling",
    "Кран течёт на кухне",
    "Hammomda suv oqyapti",
    "Discount 100% off the leak",  # LIKE's wildcards are plain characters in a search
    "pipe_a and pipeXa",
    r"back\slash in the text",
    'A "quoted phrase" here',
    "No light on the stairs",
    "Лифт не работает",
    "Radiator cold, LEAK at valve",
]


@pytest.fixture
def world():
    """People, two apartments (one shared by an owner and a tenant) and 30 requests of every kind."""
    yard = users.yard_create(name="ЖК «Page test»")
    building = users.building_create(yard_id=yard.pk, address="ул. Навои, 7")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    shared = users.apartment_create(entrance_id=entrance.pk, number="5").pk
    other = users.apartment_create(entrance_id=entrance.pk, number="6").pk
    owner, tenant, lone = person("applicant"), person("applicant"), person("applicant")
    for account, apartment, relation in ((owner, shared, "owner"), (tenant, shared, "tenant"), (lone, other, "owner")):
        link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation=relation)
        users.apartment_link_approve(link_id=link.pk, reviewer_id=1)
    homeless = person("applicant")
    plumber, manager = executor("plumber"), person("manager")
    people = {"owner": owner, "tenant": tenant, "lone": lone, "homeless": homeless}
    people |= {"plumber": plumber, "manager": manager}
    categories, urgencies = ("plumbing", "heating", "electricity"), ("low", "medium", "high", "critical")
    base = timezone.now() - timedelta(days=3)
    numbers = []
    for i in range(30):
        applicant = (owner, tenant, lone, homeless)[i % 4]
        made = services.request_create(
            applicant_id=applicant,
            category=categories[i % 3],
            urgency=urgencies[i % 4],
            source="phone" if i % 5 == 0 else "api",
            created_by=manager,  # filed by staff: any apartment may be named
            description=f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} #{i}",
            contact_phone=f"+99890{i:07d}" if i % 2 else "",
            apartment_id=(shared, other, None)[i % 3] if applicant != homeless else None,
        )
        changes = {"created_at": base + timedelta(minutes=17 * i)}
        if i % 3 == 1:
            changes |= {"status": "assigned", "executor_id": plumber}
        if i % 7 == 0:
            changes |= {"status": "cancelled"}
        if i % 4 == 2:
            changes |= {"resolution_deadline": None}
        Request.objects.filter(pk=made.pk).update(**changes)
        numbers.append(made.number)
    clients = {name: signed_in(account) for name, account in people.items()}
    return {
        "people": people,
        "clients": clients,
        "numbers": numbers,
        "yard": yard.pk,
        "building": building.pk,
        "shared": shared,
        "base": base,
    }


def _queries(world) -> list[str]:
    since = quote((world["base"] + timedelta(hours=3)).isoformat())
    until = quote((world["base"] + timedelta(hours=6)).isoformat())
    plumber, owner = world["people"]["plumber"], world["people"]["owner"]
    return [
        "",
        "status=new",
        "status=new&status=assigned",
        "category=plumbing&category=heating",
        "urgency=critical",
        "source=phone",
        f"executor={plumber}",
        f"applicant={owner}",
        f"yard={world['yard']}",
        f"building={world['building']}",
        f"apartment={world['shared']}",
        f"created_from={since}",
        f"created_to={until}",
        f"created_from={since}&created_to={until}",
        "search=leak",
        "search=LEAK%20ceiling",
        "search=100%25",
        "search=pipe_a",
        "search=back%5Cslash",
        "search=%22quoted%20phrase%22",
        "search=%D0%BA%D1%80%D0%B0%D0%BD",  # кран
        "search=suv,oqyapti",
        "search=998900000",
        f"search={world['numbers'][5]}",
        "search=nothing-matches-this",
        "ordering=urgency",
        "ordering=-urgency",
        "ordering=status,-created_at",
        "ordering=resolution_deadline",
        "ordering=-resolution_deadline",
        "ordering=number",
        "ordering=-number",
        "ordering=bogus",
        "per_page=4",
        "per_page=4&page=2",
        "per_page=4&page=3&ordering=urgency",
        "per_page=1000",
        "status=new&category=plumbing&search=leak&ordering=-urgency&per_page=2&page=2",
        "unknown=ignored&category=heating",
    ]


def _generic_page(world, who: str, query: str) -> tuple[list[str], int]:
    """The page and total of the generic path: the view's filter backends over its queryset, sliced by the page."""
    client = world["clients"][who]
    raw = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    django_request = APIRequestFactory().get(f"/api/v1/requests?{query}")
    force_authenticate(
        django_request, user=get_user_model().objects.get(pk=world["people"][who]), token=AccessToken(raw)
    )
    view = RequestListApi()
    view.args, view.kwargs, view.format_kwarg, view.headers = (), {}, None, {}
    view.request = view.initialize_request(django_request)
    queryset = view.filter_queryset(view.get_queryset())
    number, size = view.paginator.page_bounds(view.request)
    return [r.number for r in queryset[(number - 1) * size : number * size]], queryset.count()


def test_requests_page_matches_the_orm(world):
    pages = 0
    for who, query in ((who, query) for who in world["people"] for query in _queries(world)):
        with CaptureQueriesContext(connection) as statements:
            response = world["clients"][who].get(f"/api/v1/requests?{query}")
        expected, total = _generic_page(world, who, query)
        if not expected and "page=" in query.replace("per_page=", ""):
            assert response.status_code == 404, (who, query)  # past the end, as DRF answers
            continue
        assert response.status_code == 200, (query, response.content)
        body = response.json()
        assert ([r["number"] for r in body["data"]], body["meta"]["total"]) == (expected, total), (who, query)
        reads = [s["sql"] for s in statements.captured_queries if '"requests"."request"' in s["sql"]]
        if expected:  # a non-empty page comes from one hand-written statement
            assert len(reads) == 1 and reads[0].startswith('SELECT "r"."number"'), (query, reads)
            pages += 1
    assert pages > 150  # most of the 234 queries find something: the comparison is not of empty lists


def test_the_people_see_what_they_should(world):
    numbers, people = world["numbers"], world["people"]

    def seen(who: str, query: str = "per_page=100") -> set[str]:
        return {r["number"] for r in world["clients"][who].get(f"/api/v1/requests?{query}").json()["data"]}

    assert seen("manager") == set(numbers)
    assert seen("plumber") == set(Request.objects.filter(executor_id=people["plumber"]).values_list("pk", flat=True))
    assert seen("homeless") == set(Request.objects.filter(applicant_id=people["homeless"]).values_list("pk", flat=True))
    shared = set(Request.objects.filter(apartment_id=world["shared"]).values_list("pk", flat=True))
    assert shared and shared <= seen("tenant") and shared <= seen("owner")
    assert not shared & seen("lone") - set(
        Request.objects.filter(applicant_id=people["lone"]).values_list("pk", flat=True)
    )
    # search terms are plain text: LIKE's wildcards and its escape character match only themselves
    for term, text in (("100%25", "100%"), ("pipe_a", "pipe_a"), ("back%5Cslash", "back\\slash")):
        found = world["clients"]["manager"].get(f"/api/v1/requests?search={term}&per_page=100").json()["data"]
        assert found and all(text in r["description"] for r in found), term


def test_ties_keep_their_places_from_page_to_page(world):
    """Many requests share an urgency: the number breaks the tie, so paging through one ordering shows each once."""
    client = world["clients"]["manager"]
    pages = [
        client.get(f"/api/v1/requests?ordering=urgency&per_page=7&page={n}").json()["data"] for n in (1, 2, 3, 4, 5)
    ]
    seen = [r["number"] for page in pages for r in page]
    assert sorted(seen) == sorted(world["numbers"])
    assert [r["urgency"] for page in pages for r in page] == sorted(r["urgency"] for page in pages for r in page)


BAD = [
    ("per_page=4&page=99", 404, "NOT_FOUND"),
    ("page=0", 400, "VALIDATION_ERROR"),  # not a page number at all (decision 0026)
    ("status=nonsense", 400, "VALIDATION_ERROR"),
    ("created_from=yesterday", 400, "VALIDATION_ERROR"),
    ("executor=abc", 400, "VALIDATION_ERROR"),
    ("executor=5.5", 400, "VALIDATION_ERROR"),  # ids are whole numbers in a bigint's range
    (f"applicant={10**30}", 400, "VALIDATION_ERROR"),
    ("overdue=1", 400, "VALIDATION_ERROR"),  # true or false only
    ("search=a%00b", 400, "VALIDATION_ERROR"),
]


def test_bad_list_queries_get_the_generic_answers(world):
    for query, status, code in BAD:
        response = world["clients"]["manager"].get(f"/api/v1/requests?{query}")

        assert response.status_code == status, (query, response.content)
        assert response.json()["error"]["code"] == code, query


def test_what_one_statement_does_not_cover_takes_the_orm(world):
    manager = world["clients"]["manager"]
    for query in ("overdue=true", "overdue=false"):
        response = manager.get(f"/api/v1/requests?{query}&per_page=100")

        assert response.status_code == 200, (query, response.content)
        body = response.json()
        expected = _generic_page(world, "manager", f"{query}&per_page=100")
        assert ([r["number"] for r in body["data"]], body["meta"]["total"]) == expected, query
    last = manager.get("/api/v1/requests?page=last&per_page=100").json()
    assert (len(last["data"]), last["meta"]["total"]) == (len(world["numbers"]), len(world["numbers"]))
