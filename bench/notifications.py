"""Notification delivery end to end: request events → bus → relay → queue → Celery worker → a fake Bot API.

    make bench-notifications     (BENCH_EVENTS=5000, BENCH_RATE=25, BENCH_CONCURRENCY=4 by default)

Publishes BENCH_EVENTS ``bench_request.created`` events, each in its own transaction and each for a person with a
chat of their own, through the real outbox. The real relay runs a subscriber that queues one Telegram message
per event (``bench/notifications_handlers.py``), and a real Celery worker delivers them to the fake Bot API of
``tests/fakes/telegram_api.py``, which enforces Telegram's flood limits (30 messages/s per bot, 1/s per chat)
by answering 429.

Why BENCH_RATE=25 events/s: Telegram lets a bot send about 30 messages a second, so 5,000 messages take at least
167 s whatever the code does. Published faster than that, messages can only wait in the queue and the latency
measures the backlog, not the delivery path. At 25/s (under our limiter's 28/s) the backlog stays empty and the
p95 measures what the design adds: commit → relay → enqueue → kick → claim → rate limiter → HTTP.

Latency is from each event's commit (clock read right after it) to the fake receiving the sendMessage that
succeeded (its arrival time, same host clock). Lost: events whose message never arrived; duplicated: messages
that arrived more than once. The last line is

    notifications: delivered=N lost=L duplicated=D p95_s=P per_s=R
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_EVENTS", "5000"))
RATE = float(os.environ.get("BENCH_RATE", "25"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
DRAIN_TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "120"))
TOKEN = "123456:bench-secret"  # noqa: S105 - the fake Bot API's made-up token

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")
os.environ["EVENTS_EXTRA_HANDLER_MODULES"] = "bench.notifications_handlers"
os.environ["PYTHONPATH"] = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402 - the environment above must be in place first

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.notifications_handlers import BENCH_REQUEST_CREATED  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from ukbot.celery import app  # noqa: E402
from ukbot.celery_worker import start_worker, stop_worker  # noqa: E402
from ukbot.core.events import publish  # noqa: E402
from ukbot.core.events.bus import KICK_KEY  # noqa: E402
from ukbot.core.models import OutboxEvent  # noqa: E402
from ukbot.notifications import ratelimit  # noqa: E402
from ukbot.notifications.models import Notification  # noqa: E402
from ukbot.notifications.services.delivery import KICK_KEY as DELIVERY_KICK_KEY  # noqa: E402

CHAT_BASE = 9_000_000_000


def people(count: int) -> list[int]:
    """``count`` bench accounts, each with a Telegram chat of its own; return their ids."""
    accounts = get_user_model().objects
    accounts.filter(username__startswith="bench-notify-").delete()
    accounts.bulk_create(
        [
            accounts.model(username=f"bench-notify-{i}", password=make_password(None), telegram_id=CHAT_BASE + i)
            for i in range(count)
        ],
        batch_size=1000,
    )
    by_chat = dict(accounts.filter(username__startswith="bench-notify-").values_list("telegram_id", "id"))
    return [by_chat[CHAT_BASE + i] for i in range(count)]


def clean() -> None:
    Notification.objects.filter(event_type=BENCH_REQUEST_CREATED.name).delete()
    OutboxEvent.objects.filter(source="ukbot/bench").delete()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def stage_latencies() -> tuple[float, float]:
    """p95 of event commit → row queued (the relay) and of row queued → its first call (the delivery worker)."""
    events = dict(OutboxEvent.objects.filter(source="ukbot/bench").values_list("subject", "time"))
    rows = Notification.objects.filter(event_type=BENCH_REQUEST_CREATED.name).prefetch_related("delivery_attempts")
    relay, queue = [], []
    for row in rows:
        relay.append((row.created_at - events[row.subject]).total_seconds())
        first = min((a.started_at for a in row.delivery_attempts.all()), default=None)
        if first is not None:
            queue.append((first - row.created_at).total_seconds())
    return percentile(relay, 0.95), percentile(queue, 0.95)


def main() -> None:
    call_command("migrate", verbosity=0)
    clean()
    account_ids = people(N)
    ratelimit.reset()
    cache.delete(KICK_KEY)
    cache.delete(DELIVERY_KICK_KEY)
    app.control.purge()
    committed: dict[str, float] = {}
    with FakeTelegramAPI(token=TOKEN, enforce_limits=True) as fake:
        env = {**os.environ, "TELEGRAM_API_URL": fake.url, "TELEGRAM_BOT_TOKEN": TOKEN}
        worker = start_worker(concurrency=CONCURRENCY, env=env)
        try:
            started = time.perf_counter()
            for i, account_id in enumerate(account_ids):
                pause = started + i / RATE - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                subject = f"B{i:06d}"
                with transaction.atomic():
                    publish(BENCH_REQUEST_CREATED, subject=subject, data={"account_id": account_id})
                committed[subject] = time.time()
            publish_seconds = time.perf_counter() - started
            try:
                fake.wait_for(N, timeout=DRAIN_TIMEOUT)
            except TimeoutError as exc:
                print(f"bench: {exc}")
            time.sleep(2.0)  # late duplicates would land now
        finally:
            stop_worker(worker)
        calls = fake.delivered()
        throttled = fake.rate_limited
        requests = len(fake.calls("sendMessage"))
    stages = stage_latencies()
    statuses = Counter(
        Notification.objects.filter(event_type=BENCH_REQUEST_CREATED.name).values_list("status", flat=True)
    )
    clean()
    get_user_model().objects.filter(username__startswith="bench-notify-").delete()

    arrivals: dict[str, list[float]] = {}
    for call in calls:
        subject = call.params["text"].split("<b>")[1].split("</b>")[0]
        arrivals.setdefault(subject, []).append(call.at)
    delivered = len(arrivals)
    lost = sum(1 for subject in committed if subject not in arrivals)
    duplicated = sum(len(times) - 1 for times in arrivals.values())
    latencies = [min(times) - committed[subject] for subject, times in arrivals.items() if subject in committed]
    first_commit = min(committed.values())
    last_call = max((c.at for c in calls), default=first_commit)
    per_s = delivered / (last_call - first_commit) if delivered else 0.0
    p50, p95, p99 = (percentile(latencies, q) for q in (0.50, 0.95, 0.99))
    print(
        f"published {N} request events at {RATE:g}/s ({publish_seconds:.1f} s), one per transaction, each to its own "
        f"chat: Telegram allows about 30 messages/s per bot, so publishing faster would only measure a queue"
    )
    print(
        f"fake Bot API enforcing 30/s and 1/s per chat: {requests} sendMessage calls, {throttled} answered 429; "
        f"worker concurrency {CONCURRENCY}"
    )
    print(f"rows: {dict(statuses)}")
    print(
        f"latency commit → Bot API call: p50 {p50:.3f} s, p95 {p95:.3f} s, p99 {p99:.3f} s, max {max(latencies):.3f} s"
    )
    print(f"stages (p95): event → queued by the relay {stages[0]:.3f} s, queued → Bot API call {stages[1]:.3f} s")
    print(f"notifications: delivered={delivered} lost={lost} duplicated={duplicated} p95_s={p95:.3f} per_s={per_s:.1f}")


if __name__ == "__main__":
    main()
