"""Delivery through the queue against a fake Bot API over HTTP, in this process (real workers: tests/integration)."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.auth import public as auth_public
from ukbot.core.models import OutboxEvent
from ukbot.notifications import ratelimit
from ukbot.notifications.models import ChannelSetting, DeliveryAttempt, Notification
from ukbot.notifications.services import delivery
from ukbot.notifications.tests.conftest import BOT_TOKEN, resident

pytestmark = pytest.mark.django_db

BUTTONS = [[{"text": "Accept", "callback_data": "req:accept:42"}, {"text": "Open", "url": "https://example.com/r/42"}]]


def _queue(account_id: int, text: str = "Request <b>42</b> is assigned to you", **kwargs) -> Notification:
    fields = {"channel": "telegram", "event_type": "request.assigned", "subject": "42", **kwargs}
    notification = delivery.enqueue(account_id=account_id, text=text, **fields)
    assert notification is not None
    return notification


def _events(type_name: str) -> list[dict]:
    return [e.data for e in OutboxEvent.objects.filter(type=type_name).order_by("time")]


def _attempts(notification: Notification) -> list[tuple]:
    return list(
        DeliveryAttempt.objects.filter(notification=notification)
        .order_by("number")
        .values_list("number", "outcome", "status_code")
    )


def _make_due(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())


def test_a_telegram_message_with_buttons_goes_out_once_with_its_history_and_events(fake_telegram):
    # given a queued message that invites an action
    account_id = resident()
    chat_id = auth_public.contact_of(account_id=account_id).telegram_id
    notification = _queue(account_id, buttons=BUTTONS)
    # when the queue is worked off
    assert delivery.deliver_due() == 1
    # then the Bot API got one sendMessage with HTML and the inline keyboard
    [call] = fake_telegram.calls()
    assert call.method == "sendMessage"
    assert call.token == BOT_TOKEN
    assert call.params["chat_id"] == chat_id
    assert call.params["text"] == "Request <b>42</b> is assigned to you"
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {"inline_keyboard": BUTTONS}
    # and the row is sent with Telegram's message id, one successful attempt, and the events
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert notification.provider_message_id == str(call.result["message_id"])
    assert notification.lease_token is None
    assert _attempts(notification) == [(1, "ok", 200)]
    [sent] = _events("notification.sent")
    assert sent == {
        "notification_id": notification.pk,
        "account_id": account_id,
        "channel": "telegram",
        "event_type": "request.assigned",
        "subject": "42",
        "attempts": 1,
        "provider_message_id": notification.provider_message_id,
        "bulk_job_id": None,
    }
    [confirmed] = _events("notification.delivery_confirmed")
    assert confirmed["notification_id"] == notification.pk
    assert _events("notification.failed") == []
    # and nothing is sent again
    assert delivery.deliver_due() == 0
    assert len(fake_telegram.calls()) == 1


def test_enqueue_writes_nothing_when_the_channel_is_off_or_the_dedupe_key_was_used(fake_telegram):
    account_id = resident()
    first = delivery.enqueue(
        account_id=account_id, channel="telegram", text="a", event_type="request.created", dedupe_key="k-1"
    )
    again = delivery.enqueue(
        account_id=account_id, channel="telegram", text="a", event_type="request.created", dedupe_key="k-1"
    )
    ChannelSetting.objects.create(account_id=account_id, channel="email", enabled=False, disabled_reason="user")
    off = delivery.enqueue(account_id=account_id, channel="email", text="b", event_type="request.created")
    assert first is not None
    assert again is None
    assert off is None
    assert Notification.objects.filter(account_id=account_id).count() == 1


def test_enqueue_refuses_a_malformed_button_or_channel():
    with pytest.raises(ValueError, match="exactly one"):
        delivery.enqueue(account_id=1, channel="telegram", text="x", event_type="e.x", buttons=[[{"text": "no"}]])
    with pytest.raises(ValueError, match="unknown channel"):
        delivery.enqueue(account_id=1, channel="fax", text="x", event_type="e.x")
    assert not Notification.objects.exists()


def test_a_message_not_before_quiet_hours_end_waits(fake_telegram):
    notification = _queue(resident(), not_before=timezone.now() + timedelta(hours=1))
    assert delivery.deliver_due() == 0
    assert fake_telegram.calls() == []
    assert Notification.objects.get(pk=notification.pk).status == "queued"


def test_a_429_is_retried_no_sooner_than_retry_after(fake_telegram):
    # given Telegram answers the first call with 429 retry_after=2
    fake_telegram.fail_next(status=429, retry_after=2)
    notification = _queue(resident())
    # when the queue is worked off
    delivery.deliver_due()
    # then the row waits at least retry_after after the attempt, which is recorded
    notification.refresh_from_db()
    attempt = DeliveryAttempt.objects.get(notification=notification)
    assert (attempt.outcome, attempt.status_code, attempt.retry_after) == ("retry", 429, 2.0)
    assert notification.status == "queued"
    assert notification.next_attempt_at >= attempt.finished_at + timedelta(seconds=2)
    # and working the queue again before then sends nothing
    delivery.deliver_due(max_seconds=0.2)
    assert len(fake_telegram.calls()) == 1
    # and after it the message goes out, the 429 not counted against the attempts limit
    time.sleep(max(0.0, (notification.next_attempt_at - timezone.now()).total_seconds()) + 0.05)
    assert delivery.deliver_due() == 1
    assert [c.status for c in fake_telegram.calls()] == [429, 200]
    assert fake_telegram.calls()[1].at - fake_telegram.calls()[0].at >= 2.0
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert _attempts(notification) == [(1, "retry", 429), (2, "ok", 200)]


def test_5xx_backs_off_exponentially_then_succeeds(fake_telegram, settings):
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 10
    fake_telegram.fail_next(status=500, times=2)
    notification = _queue(resident())
    delays = []
    for _ in range(2):
        delivery.deliver_due()
        notification.refresh_from_db()
        last = DeliveryAttempt.objects.filter(notification=notification).order_by("-number").first()
        delays.append((notification.next_attempt_at - last.finished_at).total_seconds())
        assert notification.status == "queued"
        assert "HTTP 500" in notification.last_error
        _make_due(notification)
    delivery.deliver_due()
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert _attempts(notification) == [(1, "retry", 500), (2, "retry", 500), (3, "ok", 200)]
    assert 8 <= delays[0] <= 12  # base ± 20 %
    assert 16 <= delays[1] <= 24  # doubled
    assert len(fake_telegram.delivered()) == 1


def test_after_the_last_allowed_attempt_the_row_fails_with_an_event(fake_telegram, settings):
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 0
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    fake_telegram.fail_next(status=502, times=10)
    notification = _queue(resident())
    delivery.deliver_due()
    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.failure_reason == "gave_up"
    assert notification.attempts == 3
    [failed] = _events("notification.failed")
    assert (failed["notification_id"], failed["reason"], failed["attempts"]) == (notification.pk, "gave_up", 3)
    assert _events("notification.sent") == []


def test_a_timeout_is_retried_and_the_message_arrives_once(fake_telegram, settings):
    settings.NOTIFICATIONS_HTTP_TIMEOUT_SECONDS = 1
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 0
    # given the Bot API holds the first call longer than the client waits
    fake_telegram.delay_next(2.5)
    notification = _queue(resident())
    # when the queue is worked off
    delivery.deliver_due()
    # then the first try timed out and the second went through
    notification.refresh_from_db()
    assert notification.status == "sent"
    outcomes = list(
        DeliveryAttempt.objects.filter(notification=notification).order_by("number").values_list("outcome", "error")
    )
    assert outcomes[0][0] == "retry"
    assert outcomes[0][1].startswith("timeout")
    assert outcomes[1] == ("ok", "")
    # and once the slow call ended (its client gone), exactly one message was delivered
    time.sleep(2.0)
    assert len(fake_telegram.calls("sendMessage")) == 2
    assert len(fake_telegram.delivered()) == 1


def test_403_turns_telegram_off_for_the_person_and_stops(fake_telegram):
    # given two queued messages for a person who blocked the bot
    account_id = resident()
    first = _queue(account_id, text="one")
    second = _queue(account_id, text="two")
    fake_telegram.fail_next(status=403)
    # when the queue is worked off
    delivery.deliver_due()
    # then the first failed as blocked, the channel is off, and the second was not even tried
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.failure_reason) == ("failed", "blocked")
    assert "blocked by the user" in first.last_error
    assert (second.status, second.failure_reason) == ("failed", "channel_off")
    assert len(fake_telegram.calls()) == 1
    setting = ChannelSetting.objects.get(account_id=account_id, channel="telegram")
    assert (setting.enabled, setting.disabled_reason) == (False, "bot_blocked")
    assert sorted(e["reason"] for e in _events("notification.failed")) == ["blocked", "channel_off"]
    # and later messages for that person are not queued at all
    assert delivery.enqueue(account_id=account_id, channel="telegram", text="three", event_type="x.y") is None
    # until the channel is turned back on
    delivery.channel_enable(account_id=account_id, channel="telegram")
    assert delivery.enqueue(account_id=account_id, channel="telegram", text="four", event_type="x.y") is not None


def test_a_person_without_a_chat_or_a_missing_token_fails_with_a_reason(fake_telegram, settings):
    no_chat = _queue(factories.person(profile=False))
    delivery.deliver_due()
    no_chat.refresh_from_db()
    assert (no_chat.status, no_chat.failure_reason) == ("failed", "no_address")
    settings.TELEGRAM_BOT_TOKEN = None
    no_token = _queue(resident())
    delivery.deliver_due()
    no_token.refresh_from_db()
    assert (no_token.status, no_token.failure_reason) == ("failed", "channel_unavailable")
    assert "TELEGRAM_BOT_TOKEN" in no_token.last_error
    assert fake_telegram.calls() == []


def test_a_second_message_to_the_same_chat_waits_a_second(fake_telegram, settings):
    settings.TELEGRAM_CHAT_INTERVAL_MS = 1000
    account_id = resident()
    _queue(account_id, text="one")
    _queue(account_id, text="two")
    delivery.deliver_due()  # waits for the chat's next slot (under MAX_IDLE_WAIT_SECONDS) and sends both
    first, second = fake_telegram.delivered()
    assert [first.params["text"], second.params["text"]] == ["one", "two"]
    assert second.at - first.at >= 0.95


def test_the_global_limit_spaces_sends_across_chats(fake_telegram, settings):
    settings.TELEGRAM_RATE_PER_SECOND = 10
    for _ in range(12):
        _queue(resident())
    started = time.monotonic()
    assert delivery.deliver_due() == 12
    assert time.monotonic() - started >= 1.0  # 12 sends at 10/s take at least 1.1 s
    # The limiter spaces the calls: each attempt starts (its row written right after the slot is granted, just
    # before the call) at least one interval after the one before. Arrival times at the fake add the call's own
    # latency, which varies (the first call opens the connection and arrives late, so the second looks early).
    starts = list(DeliveryAttempt.objects.order_by("started_at").values_list("started_at", flat=True))
    assert len(starts) == 12
    assert all((b - a).total_seconds() >= 0.09 for a, b in itertools.pairwise(starts))
    # and what Telegram sees is the 12 messages spread over more than a second
    times = [c.at for c in fake_telegram.delivered()]
    assert len(times) == 12
    assert times[-1] - times[0] >= 1.0


def test_429s_for_two_chats_pause_the_whole_bot():
    ratelimit.reset()
    assert ratelimit.penalize("111", 3) is False
    assert ratelimit.reserve_chat("111") > 2.5
    assert ratelimit.reserve_global() == 0
    assert ratelimit.penalize("222", 3) is True
    assert ratelimit.reserve_global() > 2.5
    ratelimit.reset()


def test_an_expired_lease_goes_back_to_the_queue_unless_a_call_was_in_flight(fake_telegram):
    # given two rows claimed by a worker that then died: one before its call, one during it
    untouched = _queue(resident(), text="untouched")
    in_call = _queue(resident(), text="in call")
    claimed = {n.pk: token for n, token in delivery.loop._claim(10)}
    attempt = delivery.send._start_attempt(in_call, claimed[in_call.pk], "123")
    assert attempt is not None
    Notification.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    # when another worker works the queue
    delivery.deliver_due()
    # then the untouched one is sent, the one whose outcome is unknown is failed, not sent again
    untouched.refresh_from_db()
    in_call.refresh_from_db()
    assert untouched.status == "sent"
    assert (in_call.status, in_call.failure_reason) == ("failed", "outcome_unknown")
    assert _attempts(in_call) == [(1, "unknown", None)]
    assert [c.params["text"] for c in fake_telegram.delivered()] == ["untouched"]
    # and the dead worker's token can no longer record anything
    assert delivery.send._start_attempt(untouched, claimed[untouched.pk], "123") is None


def test_a_worker_whose_lease_was_taken_over_does_not_send(fake_telegram):
    notification = _queue(resident())
    [(row, stale_token)] = delivery.loop._claim(10)
    Notification.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    delivery.deliver_due()  # another worker takes it over and sends it
    assert delivery.send._send_one(row, stale_token) == "lost"
    assert len(fake_telegram.delivered()) == 1
    notification.refresh_from_db()
    assert notification.status == "sent"


def test_beat_sweeps_the_queue():
    from ukbot.celery import app

    app.finalize()
    assert app.conf.beat_schedule["notifications-deliver"] == {"task": "ukbot.notifications.deliver", "schedule": 2.0}


def test_a_loop_out_of_time_hands_over_to_a_fresh_task(monkeypatch):
    kicks = []
    monkeypatch.setattr(delivery.loop, "kick_delivery", lambda: kicks.append("kick"))
    assert delivery.deliver_due(max_seconds=0) == 0
    assert kicks == ["kick"]


def test_when_telegram_throttles_anyway_every_message_still_arrives_once(settings):
    # given our limits set far above Telegram's, against a Bot API that enforces its own
    settings.TELEGRAM_RATE_PER_SECOND = 200
    settings.TELEGRAM_CHAT_INTERVAL_MS = 0
    ratelimit.reset()
    with FakeTelegramAPI(token=BOT_TOKEN, enforce_limits=True) as fake:
        settings.TELEGRAM_API_URL = fake.url
        settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
        people = [resident() for _ in range(45)]
        rows = [_queue(account_id, text=f"m{i}") for i, account_id in enumerate(people)]
        rows += [_queue(people[0], text=f"again {i}") for i in range(3)]
        # when the queue is worked off until nothing is left
        deadline = time.monotonic() + 30
        while Notification.objects.filter(status__in=["queued", "sending"]).exists():
            assert time.monotonic() < deadline, "timed out"
            delivery.deliver_due(max_seconds=5)
        # then Telegram said 429 along the way, each was waited out, and every message arrived exactly once
        assert fake.rate_limited > 0
        texts = sorted(c.params["text"] for c in fake.delivered())
    ratelimit.reset()
    assert texts == sorted(n.text for n in rows)
    assert not Notification.objects.exclude(status="sent").exists()
    throttled = DeliveryAttempt.objects.filter(status_code=429)
    assert throttled.count() == fake.rate_limited
    assert all(a.retry_after >= 1 for a in throttled)


def test_no_more_loops_run_than_there_are_slots(fake_telegram):
    # given as many loops running elsewhere as there are slots
    _queue(resident())
    held = [ratelimit.take_loop_slot(holder=f"elsewhere-{i}", ttl_seconds=30) for i in range(ratelimit.LOOP_SLOTS)]
    assert None not in held
    # then another loop leaves at once, sending nothing
    assert delivery.deliver_due() == 0
    assert fake_telegram.calls() == []
    # and once a slot is free it sends
    ratelimit.free_loop_slot(held[0], holder="elsewhere-0")
    assert delivery.deliver_due() == 1
    # and it gave its own slot back
    assert ratelimit.take_loop_slot(holder="next", ttl_seconds=30) == held[0]


def test_while_the_whole_bot_is_paused_telegram_rows_wait_and_other_channels_go(fake_telegram, settings, mailoutbox):
    # given Telegram's flood control holding the whole bot for 5 s
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert ratelimit.penalize("1", 5) is False
    assert ratelimit.penalize("2", 5) is True
    waiting = _queue(resident(email="a@example.com"))
    mail = delivery.enqueue(
        account_id=resident(email="b@example.com"), channel="email", title="T", text="B", event_type="x.y"
    )
    # when the queue is worked off
    delivery.deliver_due()
    # then the e-mail went and the Telegram message waits for the pause, untried
    waiting.refresh_from_db()
    mail.refresh_from_db()
    assert mail.status == "sent"
    assert [m.to for m in mailoutbox] == [["b@example.com"]]
    assert (waiting.status, waiting.attempts) == ("queued", 0)
    assert (waiting.next_attempt_at - timezone.now()).total_seconds() > 3.5
    assert fake_telegram.calls() == []
