"""Retention of sign-in records: old attempts and long-ended sessions go; open sessions and what the lockout may
still count stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session as BrowserSession
from django.utils import timezone

from ukbot.auth import services, tasks
from ukbot.auth.models import LoginAttempt, RefreshToken, Session

pytestmark = pytest.mark.django_db


def _attempt(*, age: timedelta) -> LoginAttempt:
    row = LoginAttempt.objects.create(username="someone", success=False, reason="bad_credentials")
    LoginAttempt.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


def _session(account, *, expires_in: timedelta, revoked_ago: timedelta | None = None) -> Session:
    now = timezone.now()
    session = Session.objects.create(
        account=account,
        last_used_at=now,
        expires_at=now + expires_in,
        revoked_at=now - revoked_ago if revoked_ago is not None else None,
    )
    RefreshToken.objects.create(token_hash=session.pk.hex * 2, session=session, expires_at=session.expires_at)
    return session


def test_old_login_attempts_go_and_recent_ones_stay():
    old = [_attempt(age=timedelta(days=91)) for _ in range(3)]
    recent = _attempt(age=timedelta(days=89))

    assert services.login_attempts_purge(older_than=timedelta(days=90), batch=2) == 3

    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not LoginAttempt.objects.filter(pk__in=[row.pk for row in old]).exists()


def test_attempts_the_lockout_may_still_count_stay_whatever_the_retention(settings):
    # given a failure window of two days: the lockout counts attempts that old
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 2 * 86400
    within_window = _attempt(age=timedelta(hours=40))
    beyond = _attempt(age=timedelta(days=3))

    # when a purge is asked for everything older than an hour
    purged = services.login_attempts_purge(older_than=timedelta(hours=1))

    # then only the attempt beyond the window went
    assert purged == 1
    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [within_window.pk]
    assert not LoginAttempt.objects.filter(pk=beyond.pk).exists()


def test_sessions_ended_long_ago_go_with_their_tokens_and_open_ones_stay(account):
    revoked_long_ago = _session(account, expires_in=timedelta(days=5), revoked_ago=timedelta(days=31))
    expired_long_ago = _session(account, expires_in=-timedelta(days=31))
    revoked_lately = _session(account, expires_in=timedelta(days=5), revoked_ago=timedelta(days=29))
    expired_lately = _session(account, expires_in=-timedelta(days=29))
    open_session = _session(account, expires_in=timedelta(days=7))

    purged = services.sessions_purge(older_than=timedelta(days=30), batch=1)

    assert purged == 2
    assert set(Session.objects.values_list("pk", flat=True)) == {
        revoked_lately.pk,
        expired_lately.pk,
        open_session.pk,
    }
    assert not RefreshToken.objects.filter(session_id__in=[revoked_long_ago.pk, expired_long_ago.pk]).exists()
    assert RefreshToken.objects.filter(session_id=open_session.pk).count() == 1


def test_expired_admin_browser_sessions_go_and_live_ones_stay():
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.create()
    BrowserSession.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    services.sessions_purge(older_than=timedelta(days=30))

    assert list(BrowserSession.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_the_beat_tasks_read_the_retention_settings(settings, account):
    settings.AUTH_ATTEMPTS_RETENTION_DAYS = 2
    settings.SESSIONS_RETENTION_DAYS = 3
    _attempt(age=timedelta(days=3))
    kept_attempt = _attempt(age=timedelta(hours=30))
    _session(account, expires_in=-timedelta(days=4))
    kept_session = _session(account, expires_in=-timedelta(days=2))

    assert tasks.purge_login_attempts() == 1
    assert tasks.purge_sessions() == 1

    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [kept_attempt.pk]
    assert list(Session.objects.values_list("pk", flat=True)) == [kept_session.pk]
