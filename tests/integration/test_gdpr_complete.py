"""Export and forget across every app (issue 15, docs/decisions/0024), with the real moving parts: PostgreSQL, an
S3 API over HTTP (moto in server mode), the event relay and the delivery loop talking to the fake Bot API.

The proof of forgetting is a generic scan: every text, JSON and binary column of every table in every schema of
the database is searched for what identified the person, and the bucket is listed for their files' bytes.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import executor, media_file, person, signed_in
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.auth.models import Account
from ukbot.core.events import Event, registry
from ukbot.core.events.relay import drain
from ukbot.core.models import Delivery, OutboxEvent
from ukbot.media import storage
from ukbot.media.models import MediaFile
from ukbot.media.tests.test_s3 import BUCKET, moto_endpoint, s3  # noqa: F401 - the S3 fixtures, reused
from ukbot.notifications import ratelimit
from ukbot.notifications.models import Notification
from ukbot.notifications.services import delivery
from ukbot.requests.models import Attachment, Comment, Request
from ukbot.shifts import services as shifts
from ukbot.shifts.models import Shift
from ukbot.users import services as users

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "123456:gdpr-secret"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")
FORGET_HANDLERS = (
    "ukbot.auth.handlers.forget_account",
    "ukbot.media.handlers.forget_files",
    "ukbot.notifications.handlers.forget_person",
    "ukbot.requests.handlers.forget_applicant",
    "ukbot.shifts.handlers.forget_locations",
)


@pytest.fixture
def telegram(settings):
    ratelimit.reset()
    with FakeTelegramAPI(token=TOKEN) as fake:
        settings.TELEGRAM_API_URL, settings.TELEGRAM_BOT_TOKEN = fake.url, TOKEN
        yield fake
    ratelimit.reset()


def _png(seed: str) -> bytes:
    """A real (tiny, 2×2 RGB) PNG whose pixels depend on ``seed``, so that its bytes are unique."""
    pixels = uuid.uuid5(uuid.NAMESPACE_OID, seed).bytes[:12]
    rows = b"".join(b"\x00" + pixels[i : i + 6] for i in (0, 6))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _upload(client, data: bytes, name: str) -> str:
    stream = io.BytesIO(data)
    stream.name = name
    response = client.post("/api/v1/media/upload", {"file": stream}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["data"]["id"]


def _keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def _deliver() -> None:
    """Run the relay and the delivery loop until nothing is left to do."""
    drain(max_seconds=10)
    for _ in range(5):
        delivery.deliver_due(max_seconds=5)
        Notification.objects.filter(status="queued").update(next_attempt_at=timezone.now(), not_before=None)
        if not Notification.objects.filter(status__in=["queued", "sending"]).exists():
            break
    drain(max_seconds=10)


def _columns() -> list[tuple[str, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t ON (t.table_schema, t.table_name) = (c.table_schema, c.table_name) "
            "WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND c.table_schema NOT LIKE 'pg\\_%%' AND (c.data_type = ANY(%s) OR c.data_type = 'bytea')",
            [list(TEXT_TYPES)],
        )
        return cursor.fetchall()


def _scan(needles: dict[str, str]) -> dict[str, set[str]]:
    """Where each needle occurs in the database: ``{label: {"schema.table.column", …}}`` (labels found only)."""
    found: dict[str, set[str]] = {}
    columns = _columns()
    assert len(columns) > 50  # every app's tables, not a handful
    with connection.cursor() as cursor:
        for schema, table, column, data_type in columns:
            name = f'"{schema}"."{table}"'
            for label, needle in needles.items():
                if data_type == "bytea":
                    where, value = f"position(convert_to(%s, 'UTF8') in \"{column}\") > 0", needle
                else:
                    where, value = f'"{column}"::text LIKE %s', f"%{needle}%"
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {name} WHERE {where})", [value])
                if cursor.fetchone()[0]:
                    found.setdefault(label, set()).add(f"{schema}.{table}.{column}")
    return found


def _run_forget_handlers_again() -> None:
    """Deliver every ``user.forgotten`` event to each app's handler twice more, as at-least-once delivery may."""
    assert set(FORGET_HANDLERS) <= set(registry.handlers_for("user.forgotten"))
    for row in OutboxEvent.objects.filter(type="user.forgotten"):
        event = Event(id=row.id, type=row.type, source=row.source, subject=row.subject, time=row.time, data=row.data)
        for name in FORGET_HANDLERS:
            handler = registry.handler(name)
            assert handler is not None
            handler(event)
            handler(event)


def _world(tag: str, chat: int) -> dict:
    """A resident with an approved apartment link (its document in S3), a plumber on shift and a manager."""
    yard = users.yard_create(name=f"ЖК {tag}")
    building = users.building_create(yard_id=yard.pk, address=f"ул. Навои, {tag}")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="12").pk
    needles = {
        "first_name": f"Zarina{tag}",
        "last_name": f"Yusupova{tag}",
        "phone": f"+99890{chat % 10**7:07d}",
        "description": f"Течёт труба под раковиной {tag}",
        "comment": f"Ключ у соседки из 14-й {tag}",
        "photo_name": f"pasport-{tag}.png",
        "document_name": f"svidetelstvo-{tag}.png",
        "email": f"zarina-{tag}@example.uz",
        "chat": str(chat),
    }
    resident = person(
        "applicant",
        first_name=needles["first_name"],
        last_name=needles["last_name"],
        phone=needles["phone"],
        account_fields={"telegram_id": chat, "email": needles["email"]},
    )
    plumber, manager = executor("plumber"), person("manager")
    Account.objects.filter(pk=plumber).update(telegram_id=chat + 1)
    shift_id = shifts.shift_start(
        executor_id=plumber, specialization="plumber", latitude="41.311081", longitude="69.2"
    ).pk
    as_resident = signed_in(resident, HTTP_USER_AGENT=f"Redmi {tag}", REMOTE_ADDR="10.9.8.7")
    document = _upload(as_resident, _png(f"document {tag}"), needles["document_name"])
    link = users.apartment_link_request(
        account_id=resident, apartment_id=apartment, relation="owner", document_media_id=document
    )
    users.apartment_link_approve(link_id=link.pk, reviewer_id=manager)
    return {
        "resident": resident,
        "plumber": plumber,
        "manager": manager,
        "shift_id": shift_id,
        "as_resident": as_resident,
        "document": document,
        "needles": needles,
    }


def test_a_persons_request_photo_comment_and_messages_are_exported_then_gone_everywhere(s3, telegram):  # noqa: F811 - the fixture
    tag = uuid.uuid4().hex[:8]
    chat = 700_000_000 + uuid.uuid4().int % 10**8
    world = _world(tag, chat)
    needles, resident, as_resident, document = (
        world["needles"],
        world["resident"],
        world["as_resident"],
        world["document"],
    )
    as_manager = signed_in(world["manager"])
    unrelated = media_file(world["manager"], "png", name="someone-else.png", content=_png(f"other {tag}"))

    # given: a request with a contact phone and a passport photo, a comment, and messages about it
    photo = _upload(as_resident, _png(f"passport {tag}"), needles["photo_name"])
    filed = as_resident.post(
        "/api/v1/requests",
        {"category": "plumbing", "description": needles["description"], "contact_phone": needles["phone"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"file-{tag}",
    )
    assert filed.status_code == 201, filed.content
    number = filed.json()["data"]["number"]
    attached = as_resident.post(
        f"/api/v1/requests/{number}/attachments", {"media_ids": [photo], "kind": "before"}, format="json"
    )
    assert attached.status_code in (200, 201), attached.content
    commented = as_resident.post(f"/api/v1/requests/{number}/comments", {"text": needles["comment"]}, format="json")
    assert commented.status_code == 201, commented.content
    assigned = as_manager.post(f"/api/v1/requests/{number}/assign", {"executor_id": world["plumber"]}, format="json")
    assert assigned.status_code == 200, assigned.content
    as_manager.post(f"/api/v1/requests/{number}/comments", {"text": "Мастер придёт завтра"}, format="json")
    _deliver()
    told = {int(call.params["chat_id"]) for call in telegram.delivered()}
    assert {chat, chat + 1} <= told  # the resident and the plumber got messages about the request
    photo_key, document_key = (storage.blob_key(MediaFile.objects.get(pk=pk).sha256) for pk in (photo, document))
    assert {photo_key, document_key} <= _keys(s3)

    # the export lists each of them
    export = as_resident.get(f"/api/v1/users/{resident}/export").json()["data"]
    (request,) = export["requests"]["requests"]
    assert (request["number"], request["description"], request["contact_phone"]) == (
        number,
        needles["description"],
        needles["phone"],
    )
    assert request["address"]  # the snapshot of the apartment's address
    assert [(a["media_id"], a["name"], a["kind"]) for a in request["attachments"]] == [
        (photo, needles["photo_name"], "before")
    ]
    assert [(c["number"], c["text"]) for c in export["requests"]["comments"]] == [(number, needles["comment"])]
    files = {f["id"]: (f["name"], f["content_type"], f["attached_kind"]) for f in export["media"]["files"]}
    assert files == {
        photo: (needles["photo_name"], "image/png", "request"),
        document: (needles["document_name"], "image/png", "apartment_link"),
    }
    messages = export["notifications"]["messages"]
    told_resident = {m["kind"]: m["text"] for m in messages if m["subject"] == number}
    assert "Мастер придёт завтра" in told_resident["request.comment_added"], messages
    assert any(str(chat) in m["addresses"] for m in messages)
    assert export["users"]["apartment_links"][0]["document_media_id"] == document
    assert export["auth"]["sessions"][0]["device"] == f"Redmi {tag}"
    assert export["auth"]["account"]["first_name"] == ""  # names live in the profile
    assert export["users"]["profile"]["first_name"] == needles["first_name"]
    assert export["shifts"] == {}  # a resident has no shifts: nothing to list
    plumber_shifts = signed_in(world["plumber"]).get(f"/api/v1/users/{world['plumber']}/export").json()["data"]
    assert plumber_shifts["shifts"]["shifts"][0]["start_location"] == {
        "latitude": "41.311081",
        "longitude": "69.200000",
    }

    # the scan sees all of it before forgetting (so an empty scan afterwards means something)
    before = _scan(needles)
    assert set(before) == set(needles), set(needles) - set(before)
    assert "core.idempotency_key.response_body" in before["description"]

    # when: the person asks to be forgotten and the relay delivers user.forgotten
    forgotten = as_resident.post(f"/api/v1/users/{resident}/forget")
    assert forgotten.status_code == 200, forgotten.content
    _deliver()

    # then: none of it anywhere in the database, nor the bytes in the bucket
    assert _scan(needles) == {}
    keys = _keys(s3)
    assert photo_key not in keys and document_key not in keys
    assert storage.blob_key(MediaFile.objects.get(pk=unrelated).sha256) in keys  # others' files stay
    assert not Delivery.objects.exclude(status="done").exists()  # every handler succeeded
    # and the records stay for the statistics and the apartment's history
    kept = Request.objects.get(pk=number)
    assert (kept.applicant_id, kept.status, kept.executor_id, kept.category) == (
        resident,
        "assigned",
        world["plumber"],
        "plumbing",
    )
    assert (kept.description, kept.contact_phone, kept.address) == ("—", "", "")
    assert Comment.objects.filter(request_id=number).count() == 2
    assert Comment.objects.get(request_id=number, author_id=world["manager"]).text == "Мастер придёт завтра"
    assert not Attachment.objects.filter(request_id=number).exists()  # the photo is gone, so is its attachment
    tombstone = MediaFile.objects.get(pk=photo)
    assert tombstone.original_name == "" and tombstone.deleted_at is not None  # a nameless tombstone
    assert Notification.objects.filter(account_id=resident).exists()
    assert set(Notification.objects.filter(subject=number).values_list("text", flat=True)) == {"—"}
    assert Shift.objects.get(pk=world["shift_id"]).start_latitude is not None  # the plumber was not forgotten

    # forgetting again (an admin, the person being signed out) and every handler run twice more change nothing
    assert signed_in(person("admin")).post(f"/api/v1/users/{resident}/forget").status_code == 200
    _deliver()
    _run_forget_handlers_again()
    assert not Delivery.objects.exclude(status="done").exists()
    assert _scan(needles) == {}
    assert Request.objects.get(pk=number).version == kept.version


def test_forgetting_an_executor_blanks_their_places_and_their_name_in_others_messages(telegram):
    tag = uuid.uuid4().hex[:8]
    chat = 600_000_000 + uuid.uuid4().int % 10**8
    world = _world(tag, chat)
    plumber, manager = world["plumber"], world["manager"]
    users.profile_update(account_id=plumber, first_name=f"Rustam{tag}")
    shifts.location_update(executor_id=plumber, latitude="41.3", longitude="69.25")
    number = (
        world["as_resident"]
        .post("/api/v1/requests", {"category": "plumbing", "description": "Кран"}, format="json")
        .json()["data"]["number"]
    )
    signed_in(manager).post(f"/api/v1/requests/{number}/assign", {"executor_id": plumber}, format="json")
    _deliver()
    exported = signed_in(plumber).get(f"/api/v1/users/{plumber}/export")
    assert exported.status_code == 200, exported.content
    export = exported.json()["data"]
    assert export["shifts"]["locations"][0]["latitude"] == "41.300000"
    assert _scan({"name": f"Rustam{tag}"})  # the resident was told who will come

    signed_in(plumber).post(f"/api/v1/users/{plumber}/forget")
    _deliver()

    assert _scan({"name": f"Rustam{tag}"}) == {}
    shift = Shift.objects.get(pk=world["shift_id"])
    assert (shift.start_latitude, shift.start_longitude, shift.specialization) == (None, None, "plumber")
    payloads = OutboxEvent.objects.filter(type__in=["shift.started", "executor.location_updated"]).values_list(
        "data", flat=True
    )
    assert [p.get("location") or p.get("latitude") for p in payloads] == [None, ""]
    assert Request.objects.get(pk=number).description == "Кран"  # the resident's request is theirs, not his


def test_forgetting_twice_or_a_person_with_nothing_in_most_apps_works():
    # a person with a profile and nothing else: no requests, files, messages or shifts
    nobody = person("applicant", first_name="Bekzod")
    client = signed_in(nobody)
    assert client.post(f"/api/v1/users/{nobody}/forget").status_code == 200
    again = client.post(f"/api/v1/users/{nobody}/forget")
    assert again.status_code == 403  # signed out by the first, and a forgotten profile is blocked
    assert again.json()["error"]["code"] == "ACCOUNT_BLOCKED"
    drain(max_seconds=10)
    assert not Delivery.objects.exclude(status="done").exists()
    _run_forget_handlers_again()  # at-least-once delivery: harmless for a person with nothing
    export = signed_in(person("admin")).get(f"/api/v1/users/{nobody}/export").json()["data"]
    assert export["users"]["profile"]["first_name"] == ""
    assert [export[app] for app in ("requests", "media", "notifications", "shifts")] == [{}, {}, {}, {}]


@pytest.mark.parametrize("path", ["/api/v1/users/{id}/forget", "/api/v1/users/{id}/export"])
def test_forgetting_or_exporting_an_unknown_person_is_not_found(path):
    admin = signed_in(person("admin"))
    url = path.format(id=987_654_321)
    response = admin.post(url) if url.endswith("forget") else admin.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert not OutboxEvent.objects.filter(type="user.forgotten").exists()
