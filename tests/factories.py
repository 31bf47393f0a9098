"""Factories for cross-app tests: people with roles, and API clients signed in as them with real tokens."""

from __future__ import annotations

import io
import uuid

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from ukbot.media import services as media
from ukbot.users import services as users

PASSWORD = "correct horse battery staple"
ROLES = ["admin", "manager", "executor", "inspector", "applicant"]


def person(
    role: str | None = None,
    *,
    profile: bool = True,
    username: str | None = None,
    account_fields: dict | None = None,
    **profile_fields,
) -> int:
    """Create an account with PASSWORD; with a profile (and ``role``) unless ``profile=False``; return its id."""
    account = get_user_model().objects.create_user(
        username=username or f"{role or 'u'}-{uuid.uuid4().hex[:10]}", password=PASSWORD, **(account_fields or {})
    )
    if profile:
        users.profile_create(account_id=account.pk, **profile_fields)
        if role:
            users.role_grant(account_id=account.pk, role=role, granted_by=None)
    return account.pk


def signed_in(account_id: int, **client_kwargs) -> APIClient:
    """An API client (English answers) holding a fresh access token of the account, got through /auth/login."""
    username = get_user_model().objects.get(pk=account_id).username
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", **client_kwargs)
    tokens = client.post("/api/v1/auth/login", {"username": username, "password": PASSWORD}, format="json")
    assert tokens.status_code == 200, tokens.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['data']['access']}")
    return client


def executor(*trades: str, level: int = 3) -> int:
    """A verified executor (the executor role, approved) of ``trades``; return the account id."""
    account_id = person("executor")
    users.profile_approve(account_id=account_id)
    for trade in trades:
        users.specialization_set(account_id=account_id, key=trade, level=level)
    return account_id


def on_shift(account_id: int, trade: str) -> int:
    """Start a shift now for executor ``account_id`` in ``trade``; return the shift's id."""
    from ukbot.shifts import services as shifts

    return shifts.shift_start(executor_id=account_id, specialization=trade).pk


def telegram_person(role: str, telegram_id: int, *, language: str = "ru", trades: tuple[str, ...] = ()) -> int:
    """A registered, approved person with ``role`` who talks to the bot from Telegram user ``telegram_id``, in
    ``language``; an executor gets ``trades``. Return the account id."""
    account_id = executor(*trades) if role == "executor" else person(role)
    get_user_model().objects.filter(pk=account_id).update(telegram_id=telegram_id)
    users.profile_update(account_id=account_id, language=language)
    if role != "executor":
        users.profile_approve(account_id=account_id)
    return account_id


# The smallest byte strings each accepted type is recognised by (ukbot.media.sniff), padded to look like files.
MEDIA_HEADS = {
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
}


def media_bytes(kind: str = "jpeg", *, unique: bool = True, size: int = 256) -> bytes:
    """Bytes of a file of ``kind`` (jpeg, png, webp, heic, mp4, pdf); unique ones unless ``unique=False``."""
    head = MEDIA_HEADS[kind] + (uuid.uuid4().bytes if unique else b"")
    return head + b"\x00" * max(0, size - len(head))


def media_file(owner: int, kind: str = "jpeg", *, name: str | None = None, content: bytes | None = None) -> str:
    """Upload a small file of ``kind`` as ``owner`` through the media service; return its media id (a str)."""
    data = content if content is not None else media_bytes(kind)
    row = media.media_upload(owner_id=owner, file=io.BytesIO(data), name=name or f"file.{kind}", size=len(data))
    return str(row.pk)
