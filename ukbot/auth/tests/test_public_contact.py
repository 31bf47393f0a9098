"""``contact_of``: where `notifications` reaches a person."""

from __future__ import annotations

import pytest

from tests import factories
from ukbot.auth.public import Contact, contact_of

pytestmark = pytest.mark.django_db


def test_contact_of_gives_the_chat_email_and_phone():
    account_id = factories.person(
        profile=False, account_fields={"telegram_id": 5551234, "email": "a@example.com", "phone": "+998901112233"}
    )
    assert contact_of(account_id=account_id) == Contact(
        account_id=account_id, telegram_id=5551234, email="a@example.com", phone="+998901112233", is_active=True
    )


def test_contact_of_an_unknown_account_has_no_address_and_is_not_active():
    assert contact_of(account_id=987654321) == Contact(
        account_id=987654321, telegram_id=None, email="", phone="", is_active=False
    )
