"""The sessions admin: revoking ends each session through the service, so every one publishes ``auth.logout``."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from ukbot.auth.models import Session
from ukbot.auth.services import session_revoke
from ukbot.auth.tests.conftest import login
from ukbot.core.models import OutboxEvent

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/ukbot_auth/session/"


def _revoke(admin_client, sessions: list[Session]):
    return admin_client.post(
        SESSIONS,
        {"action": "revoke_sessions", "_selected_action": [str(s.pk) for s in sessions]},
        follow=True,
    )


def test_revoking_sessions_ends_each_one_and_publishes_its_logout(admin_client, api, account):
    for _ in range(2):
        assert login(api, account.username).status_code == 200
    phone, laptop = Session.objects.filter(account=account).order_by("created_at")

    page = _revoke(admin_client, [phone, laptop])

    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        "Завершены 2 сеанса."
    ]  # the admin speaks Russian by default
    assert set(Session.objects.filter(account=account).values_list("revoke_reason", flat=True)) == {"admin"}
    assert not Session.objects.filter(account=account, revoked_at__isnull=True).exists()
    logouts = OutboxEvent.objects.filter(type="auth.logout").order_by("sequence")
    assert [(e.data["session_id"], e.data["reason"], e.subject) for e in logouts] == [
        (str(phone.pk), "admin", str(account.pk)),
        (str(laptop.pk), "admin", str(account.pk)),
    ]


def test_a_session_that_had_ended_is_left_as_it_was_and_publishes_nothing(admin_client, api, account):
    for _ in range(2):
        assert login(api, account.username).status_code == 200
    ended, open_one = Session.objects.filter(account=account).order_by("created_at")
    session_revoke(account_id=account.pk, session_id=str(ended.pk), reason="logout")

    page = _revoke(admin_client, [ended, open_one])

    assert [str(m) for m in get_messages(page.wsgi_request)] == ["Завершён 1 сеанс."]
    ended.refresh_from_db()
    assert ended.revoke_reason == "logout"
    assert sorted(OutboxEvent.objects.filter(type="auth.logout").values_list("data__reason", flat=True)) == [
        "admin",
        "logout",
    ]
