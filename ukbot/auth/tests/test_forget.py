"""Forgetting an account (what ``user.forgotten`` asks of auth): anonymised, signed out, sign-in records stripped."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from ukbot.auth.models import LoginAttempt, Session
from ukbot.auth.services import account_forget
from ukbot.auth.tests.conftest import login
from ukbot.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_forgetting_empties_what_names_the_person_and_keeps_the_rows(api, account, ip):
    other = get_user_model().objects.create_user(username=f"{account.username}-other", password="x" * 20)
    assert login(api, account.username, HTTP_USER_AGENT="Pixel 8").status_code == 200
    assert login(api, account.username.upper(), "wrong").status_code == 401  # a failure names them only by text
    assert login(api, other.username, "wrong").status_code == 401

    account_forget(account_id=account.pk)

    account.refresh_from_db()
    assert (account.username, account.email, account.telegram_id, account.is_active) == (
        f"forgotten-{account.pk}",
        "",
        None,
        False,
    )
    assert not account.has_usable_password()
    session = Session.objects.get(account=account)
    assert (session.revoke_reason, session.device, session.ip) == ("forgotten", "", None)
    assert sorted(LoginAttempt.objects.values_list("username", "ip")) == sorted(
        [("", None), ("", None), (other.username, ip)]
    )
    logout = OutboxEvent.objects.get(type="auth.logout")  # every ended session says so (issue 15)
    assert logout.data == {"account_id": account.pk, "session_id": str(session.pk), "reason": "forgotten"}


def test_forgetting_twice_or_an_unknown_account_is_harmless(account):
    account_forget(account_id=account.pk)
    account_forget(account_id=account.pk)
    account_forget(account_id=account.pk + 10_000)

    account.refresh_from_db()
    assert account.username == f"forgotten-{account.pk}"
