"""Data exposure (issue 15): what each person may read and reach, proved through the API and the services."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import PASSWORD, executor, media_bytes, media_file, on_shift, person, signed_in
from ukbot.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from ukbot.core.models import IdempotencyKey
from ukbot.requests import selectors, services
from ukbot.requests.statuses import Actor
from ukbot.users import services as users

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


# --- idempotency keys never hold tokens ----------------------------------------------------------------------


def test_a_replayed_refresh_with_its_first_key_is_refused_as_reused_and_no_key_row_holds_a_token():
    # given a signed-in person who refreshes once with an Idempotency-Key
    username = get_user_model().objects.get(pk=person("applicant")).username
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    signed = api.post(
        "/api/v1/auth/login",
        {"username": username, "password": PASSWORD},
        format="json",
        headers={"Idempotency-Key": "login-1"},
    ).json()["data"]
    first = api.post(
        "/api/v1/auth/refresh", {"refresh": signed["refresh"]}, format="json", headers={"Idempotency-Key": "r-1"}
    )
    assert first.status_code == 200
    # when the spent token comes back with the same key
    again = api.post(
        "/api/v1/auth/refresh", {"refresh": signed["refresh"]}, format="json", headers={"Idempotency-Key": "r-1"}
    )
    # then it is judged, not replayed: refused as a reuse, and no key row was written for /auth/
    assert again.status_code == 401
    assert "Idempotent-Replayed" not in again
    assert _error(again)["code"] == "TOKEN_REUSED"
    assert not IdempotencyKey.objects.filter(path__startswith="/api/v1/auth/").exists()
    tokens = (signed["access"], signed["refresh"], first.json()["data"]["access"], first.json()["data"]["refresh"])
    for row in IdempotencyKey.objects.all():
        assert not any(token.encode() in bytes(row.response_body or b"") for token in tokens)


# --- /metrics and the API schema ------------------------------------------------------------------------------


def test_metrics_answer_only_loopback_without_a_token():
    # given no METRICS_TOKEN: a direct call from this machine reads them
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    # but another address, or the world through a proxy on this machine, finds nothing there
    assert APIClient(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    proxied = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").get("/metrics")
    assert proxied.status_code == 404
    assert b"ukbot_http_requests" not in proxied.content


def test_metrics_with_a_token_answer_only_the_bearer(settings):
    settings.METRICS_TOKEN = "scrape-secret-1"
    scraper = APIClient(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-secret-1")

    assert scraper.get("/metrics").status_code == 200
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404  # loopback needs it too
    wrong = APIClient(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-secret-2")
    assert wrong.get("/metrics").status_code == 404


def test_api_schema_and_docs_are_for_staff_unless_made_public(settings):
    settings.API_DOCS_PUBLIC = False
    schema = "/api/v1/schema/"
    # anonymous callers and non-staff people are refused
    assert APIClient().get(schema).status_code == 401
    assert APIClient().get("/api/docs/").status_code in (401, 403)
    assert signed_in(person("applicant")).get(schema).status_code == 403
    # staff read it, signed into the admin
    staff = person("manager")
    get_user_model().objects.filter(pk=staff).update(is_staff=True)
    admin = APIClient()
    admin.force_login(get_user_model().objects.get(pk=staff))
    assert admin.get(schema).status_code == 200
    assert admin.get("/api/docs/").status_code == 200
    # and turned on, anyone reads it (development's default)
    settings.API_DOCS_PUBLIC = True
    assert APIClient().get(schema).status_code == 200


# --- downloads are named by their bytes ---------------------------------------------------------------------


def test_a_png_uploaded_as_html_downloads_as_png():
    # given a PNG uploaded under an HTML name
    owner = signed_in(person("applicant"))
    data = media_bytes("png")
    upload = io.BytesIO(data)
    upload.name = "evil.html"
    created = owner.post("/api/v1/media/upload", {"file": upload}, format="multipart").json()["data"]
    # when it is downloaded
    downloaded = owner.get(created["download_url"])
    # then its type and its name's extension both come from the bytes
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "image/png"
    assert downloaded["Content-Disposition"] == 'attachment; filename="evil.png"'
    assert ".html" not in downloaded["Content-Disposition"]


# --- executors: no internal comments, and a pool card until the request is theirs -------------------------------

MANAGER = 404
LONG = "Water is leaking from the ceiling of the bathroom. " * 10  # 510 characters


def _pool_request() -> tuple[str, int, str]:
    """A new plumbing request with a phone, a photo, a public and an internal comment; its applicant; the photo."""
    applicant = person("applicant")
    photo = media_file(applicant)
    number = services.request_create(
        applicant_id=applicant,
        category="plumbing",
        description=LONG,
        contact_phone="+998901234567",
        files=[(photo, "before")],
    ).number
    services.comment_add(number=number, author_id=applicant, actor_kind=Actor.APPLICANT, text="Please hurry")
    services.comment_add(
        number=number, author_id=MANAGER, actor_kind=Actor.MANAGER, text="Tenant is rude", internal=True
    )
    return number, applicant, photo


def test_an_executor_on_shift_sees_a_pool_card_of_a_request_not_theirs():
    number, _applicant, photo = _pool_request()
    plumber = executor("plumber")
    on_shift(plumber, "plumber")
    api = signed_in(plumber)

    # the API: the pool and the request show what deciding to claim needs, nothing of the people
    pooled = api.get("/api/v1/requests/pool").json()["data"]
    shown = api.get(f"/api/v1/requests/{number}").json()["data"]
    for card in (pooled[0], shown):
        assert (card["number"], card["category"], card["contact_phone"]) == (number, "plumbing", "")
        assert card["description"] == LONG.strip()[:199].rstrip() + "…"
    assert shown["allowed_moves"] == ["assigned"]
    assert api.get(f"/api/v1/requests/{number}/comments").json()["data"] == []
    assert api.get(f"/api/v1/requests/{number}/history").json()["data"] == []
    assert api.get(f"/api/v1/requests/{number}/attachments").json()["data"] == []
    assert api.get(f"/api/v1/media/{photo}/download").status_code == 404
    # the bot reads the same selectors
    card = selectors.request_card(account_id=plumber, actor_kind=Actor.EXECUTOR, number=number)
    assert (card.description, card.history, card.party) == (LONG.strip()[:199].rstrip() + "…", (), False)
    assert selectors.pool_lines(executor_id=plumber).lines[0].description == card.description
    # and a pool card is a view, never a row to save
    with pytest.raises(TypeError):
        selectors.request_for(account_id=plumber, actor_kind=Actor.EXECUTOR, number=number).save()


def test_once_assigned_the_executor_sees_the_whole_request_but_never_internal_comments():
    number, _applicant, photo = _pool_request()
    plumber = executor("plumber")
    on_shift(plumber, "plumber")
    api = signed_in(plumber)
    assert api.put(f"/api/v1/requests/{number}/status", {"status": "assigned"}, format="json").status_code == 200

    shown = api.get(f"/api/v1/requests/{number}").json()["data"]
    comments = api.get(f"/api/v1/requests/{number}/comments").json()["data"]

    assert (shown["contact_phone"], shown["description"]) == ("+998901234567", LONG.strip())
    assert [c["text"] for c in comments] == ["Please hurry"]
    assert len(api.get(f"/api/v1/requests/{number}/history").json()["data"]) == 2
    assert len(api.get(f"/api/v1/requests/{number}/attachments").json()["data"]) == 1
    assert api.get(f"/api/v1/media/{photo}/download").status_code == 200
    assert [c.text for c in selectors.comments_for(number=number, actor_kind=Actor.EXECUTOR)] == ["Please hurry"]
    manager_view = selectors.comments_for(number=number, actor_kind=Actor.MANAGER)
    assert [c.text for c in manager_view] == ["Please hurry", "Tenant is rude"]


def test_an_executor_may_not_write_an_internal_comment_nor_comment_from_the_pool():
    number, _applicant, _photo = _pool_request()
    plumber, other = executor("plumber"), executor("plumber")
    on_shift(other, "plumber")
    services.request_reassign(number=number, executor_id=plumber, actor_id=MANAGER)
    api = signed_in(plumber)

    refused = api.post(f"/api/v1/requests/{number}/comments", {"text": "note", "internal": True}, format="json")
    assert refused.status_code == 400
    assert _error(refused)["details"][0]["field"] == "internal"
    with pytest.raises(ValidationFailedError):
        services.comment_add(number=number, author_id=plumber, actor_kind=Actor.EXECUTOR, text="x", internal=True)
    # the executor's public comment is fine; one who does not have the request writes none
    posted = api.post(f"/api/v1/requests/{number}/comments", {"text": "On my way"}, format="json")
    assert posted.status_code == 201
    with pytest.raises(PermissionDeniedError):
        services.comment_add(number=number, author_id=other, actor_kind=Actor.EXECUTOR, text="mine?")
    internal = [c.text for c in selectors.comments_for(number=number, actor_kind=Actor.MANAGER) if c.internal]
    assert internal == ["Tenant is rude"]


# --- residents reach their own homes and their own requests ----------------------------------------------------


def _building(address: str) -> tuple[int, int]:
    """A building and an apartment in it."""
    yard = users.yard_create(name=f"ЖК {address}")
    building = users.building_create(yard_id=yard.pk, address=address)
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return building.pk, users.apartment_create(entrance_id=entrance.pk, number="12").pk


def _resident_of(apartment: int, relation: str = "owner") -> int:
    account = person("applicant")
    link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation=relation)
    users.apartment_link_approve(link_id=link.pk, reviewer_id=MANAGER)
    return account


def test_a_resident_files_only_for_a_building_they_live_in_or_by_a_typed_address():
    home, apartment = _building("ул. Навои, 1")
    elsewhere, _other = _building("ул. Бабура, 2")
    resident = _resident_of(apartment)
    api = signed_in(resident)
    leak = {"category": "plumbing", "description": "Leak in the basement"}

    refused = api.post("/api/v1/requests", {**leak, "building_id": elsewhere}, format="json")
    own_building = api.post("/api/v1/requests", {**leak, "building_id": home}, format="json")
    typed = api.post("/api/v1/requests", {**leak, "address": "Yard behind school 5"}, format="json")

    assert refused.status_code == 400
    assert _error(refused)["details"] == [{"field": "building_id", "message": "You are not linked to this building."}]
    assert own_building.status_code == 201 and own_building.json()["data"]["building_id"] == home
    assert typed.status_code == 201
    # the service refuses it whoever calls it; a manager files for the resident anywhere
    with pytest.raises(ValidationFailedError):
        services.request_create(applicant_id=resident, category="plumbing", description="x", building_id=elsewhere)
    phoned = services.request_create(
        applicant_id=resident,
        category="plumbing",
        description="Phoned in",
        building_id=elsewhere,
        created_by=MANAGER,
        source="phone",
    )
    assert phoned.building_id == elsewhere
    assert selectors.request_lines(account_id=MANAGER, actor_kind=Actor.MANAGER).total == 3


def test_a_co_resident_reads_but_does_not_comment_on_a_neighbours_request():
    _building_id, apartment = _building("ул. Навои, 3")
    owner, tenant = _resident_of(apartment), _resident_of(apartment, "tenant")
    number = services.request_create(
        applicant_id=owner, category="plumbing", description="Leak", apartment_id=apartment
    ).number
    co_resident = signed_in(tenant)

    assert co_resident.get(f"/api/v1/requests/{number}").status_code == 200
    refused = co_resident.post(f"/api/v1/requests/{number}/comments", {"text": "Me too"}, format="json")
    assert refused.status_code == 403
    with pytest.raises(PermissionDeniedError):
        services.comment_add(number=number, author_id=tenant, actor_kind=Actor.APPLICANT, text="Me too")
    mine = signed_in(owner).post(f"/api/v1/requests/{number}/comments", {"text": "Still leaking"}, format="json")
    assert mine.status_code == 201
    assert [c.text for c in selectors.comments_for(number=number, actor_kind=Actor.MANAGER)] == ["Still leaking"]


# --- a phone change is no oracle ----------------------------------------------------------------------------


def test_changing_ones_phone_to_someone_elses_number_does_not_say_it_is_theirs():
    person("applicant", phone="+998907654321")
    me = person("applicant", phone="+998900000001")
    api = signed_in(me)

    taken = api.patch("/api/v1/users/me", {"phone": "+998 90 765-43-21"}, format="json")
    malformed = api.patch("/api/v1/users/me", {"phone": "12"}, format="json")

    # the same status and code as a malformed number, no holder, no conflict
    assert (
        (taken.status_code, _error(taken)["code"])
        == (malformed.status_code, _error(malformed)["code"])
        == (
            400,
            "VALIDATION_ERROR",
        )
    )
    assert _error(taken)["details"] == [
        {
            "field": "phone",
            "message": "This phone number cannot be used. If it is yours, ask the management company to set it.",
        }
    ]
    assert "another person" not in taken.content.decode()
    assert api.get("/api/v1/users/me").json()["data"]["phone"] == "+998900000001"
    # the service for one's own profile says the same; the manager's still names the conflict
    with pytest.raises(ValidationFailedError):
        users.profile_update_own(account_id=me, phone="+998907654321")
    with pytest.raises(ConflictError):
        users.profile_update(account_id=me, phone="+998907654321")
