"""The load of a chaos test, run as its own process on the test's private servers (``python -m tests.chaos.load``).

``seed``: migrate the database DATABASE_URL names, create the effect table and the people messages go to.
``run``: until SIGTERM (or ``--seconds``), commit ``--rate`` transactions a second, each publishing one
``chaos.load.published`` event and, every other one, queueing a Telegram message with a unique text, through the
real services. Every committed transaction is printed as a JSON line (``{"event": id, "notification": id}``);
a failed one (the database or Redis is down) as ``{"error": ...}``, after which it carries on. The last line is
``{"finished": true, ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

PEOPLE = 40
TELEGRAM_IDS = 9_100_001
API_USERNAME, API_PASSWORD = "chaos-api", "chaos-password-1234"
EVENT_TYPE = "chaos.load"


def _say(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def seed() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from tests.chaos.handlers import EFFECT_TABLE_SQL
    from ukbot.users import services as people

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(EFFECT_TABLE_SQL)
    accounts = get_user_model().objects
    for i in range(PEOPLE):
        account = accounts.create_user(username=f"chaos-{i:02d}", password=None, telegram_id=TELEGRAM_IDS + i)
        people.profile_create(account_id=account.pk, first_name="Chaos", last_name=str(i))
    api = accounts.create_user(username=API_USERNAME, password=API_PASSWORD)
    people.profile_create(account_id=api.pk, first_name="Chaos", last_name="API")
    people.profile_approve(account_id=api.pk)


def run(rate: float, seconds: float, run_id: str) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from tests.chaos.handlers import LOAD_PUBLISHED
    from ukbot.core.events import publish
    from ukbot.notifications.services.delivery import enqueue

    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    people = list(
        get_user_model()
        .objects.filter(username__startswith="chaos-", telegram_id__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _say({"ready": True, "at": time.time()})
    deadline = time.monotonic() + seconds
    published = errors = 0
    i = 0
    next_at = time.monotonic()
    while not stopping and time.monotonic() < deadline:
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += 1.0 / rate
        try:
            with transaction.atomic():
                event = publish(LOAD_PUBLISHED, subject=f"s{i % 7}", data={"n": i, "run": run_id})
                notification = None
                if i % 2 == 0:
                    row = enqueue(
                        account_id=people[(i // 2) % len(people)],
                        channel="telegram",
                        text=f"chaos {run_id} {i}",
                        event_type=EVENT_TYPE,
                    )
                    notification = row.pk if row else None
            _say({"event": str(event.id), "notification": notification, "at": time.time()})
            published += 1
        except Exception as exc:  # the database or Redis is down: note it and carry on, as a web process would
            errors += 1
            _say({"error": f"{type(exc).__name__}: {str(exc)[:200]}", "at": time.time()})
            connection.close()
            time.sleep(0.2)
        i += 1
    _say({"finished": True, "published": published, "errors": errors})


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed")
    load = sub.add_parser("run")
    load.add_argument("--rate", type=float, default=20.0)
    load.add_argument("--seconds", type=float, default=120.0)
    load.add_argument("--run-id", default="x")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")
    import django

    django.setup()
    if args.command == "seed":
        seed()
    else:
        run(args.rate, args.seconds, args.run_id)


if __name__ == "__main__":
    main()
