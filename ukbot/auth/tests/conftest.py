"""Fixtures of the auth tests: a client from a fresh address (lockouts count per address) and an account."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ip() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def api(ip) -> APIClient:
    return APIClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def account():
    return get_user_model().objects.create_user(username=f"user-{uuid.uuid4().hex[:8]}", password=PASSWORD)


def login(api: APIClient, username: str, password: str = PASSWORD, **extra):
    return api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json", **extra)
