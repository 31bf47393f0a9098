"""`make loadtest`: residents, executors and dispatchers over the API under gunicorn, driven by locust.

    make loadtest                       (LOADTEST_SECONDS=60, LOADTEST_USERS=30)

Like `make bench-requests` (whose pieces it reuses): a fresh PostgreSQL database of its own on the server
DATABASE_URL names, dropped at the end; gunicorn (2 workers, DJANGO_DEBUG off, every API_RATE_* raised by
``bench/bench_settings.py``) on 127.0.0.1 only. It seeds one building with residents in their apartments, executors
of three trades and dispatchers (managers), then runs ``loadtest/locustfile.py`` headless in a subprocess for
LOADTEST_SECONDS with LOADTEST_USERS simulated users (weights 6 : 3 : 1), and prints per endpoint the requests,
failures, req/s, p50 and p95 (ms), then the line

    loadtest: N req/s, p95 X ms, failures F
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.requests_api import (  # noqa: E402 - the repository root must be importable first
    bench_run,
    free_port,
    start_gunicorn,
    wait_ready,
)
from loadtest.locustfile import PASSWORD, TRADES  # noqa: E402

BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "loadtest" / "locustfile.py"


def say(message: str) -> None:
    print(f"loadtest: {message}", flush=True)


def seed(users: int) -> dict[str, list[str]]:
    """Migrate and create the accounts of the run (enough that few simulated users share one); return usernames."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from ukbot.users import services as people

    call_command("migrate", verbosity=0)
    yard = people.yard_create(name="ЖК Load", address="Ташкент")
    building = people.building_create(yard_id=yard.pk, address="ул. Нагрузочная, 1")
    entrance = people.entrance_create(building_id=building.pk, number=1)
    counts = {"resident": max(10, users), "executor": max(6, users // 2), "dispatcher": max(2, users // 6)}
    accounts: dict[str, list[str]] = {kind: [] for kind in counts}
    manager_id = None
    for kind, count in counts.items():
        for i in range(count):
            username = f"load-{kind}-{i:03d}"
            account = get_user_model().objects.create_user(username=username, password=PASSWORD)
            people.profile_create(account_id=account.pk, first_name="Load", last_name=f"{kind.title()} {i}")
            people.profile_approve(account_id=account.pk)
            role = {"resident": "applicant", "executor": "executor", "dispatcher": "manager"}[kind]
            people.role_grant(account_id=account.pk, role=role, granted_by=None)
            if kind == "dispatcher" and manager_id is None:
                manager_id = account.pk
            if kind == "executor":
                people.specialization_set(account_id=account.pk, key=TRADES[i % len(TRADES)], level=3)
            accounts[kind].append(username)
    # Residents live in the building (a request's address is the resident's apartment); approved by a dispatcher.
    for i, username in enumerate(accounts["resident"]):
        account_id = get_user_model().objects.get(username=username).pk
        apartment = people.apartment_create(entrance_id=entrance.pk, number=str(i + 1), floor=i // 4 + 1)
        link = people.apartment_link_request(account_id=account_id, apartment_id=apartment.pk, relation="owner")
        people.apartment_link_approve(link_id=link.pk, reviewer_id=manager_id)
    connections.close_all()
    return accounts


def report(figures: dict) -> str:
    """Print the table of ``figures`` (what the locustfile wrote at the end); return the summary line."""
    rows = figures["endpoints"]
    width = max([len(row["name"]) for row in rows] + [8])
    print(f"{'endpoint':<{width}} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for row in [*rows, {**figures["total"], "name": "all"}]:
        print(
            f"{row['name']:<{width}} {row['requests']:>9} {row['failures']:>9} "
            f"{row['rps']:>8.1f} {row['p50']:>8} {row['p95']:>8}"
        )
    total = figures["total"]
    return f"loadtest: {total['rps']:.0f} req/s, p95 {total['p95']} ms, failures {total['failures']}"


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    try:
        seconds = int(os.environ.get("LOADTEST_SECONDS", "60"))
        users = int(os.environ.get("LOADTEST_USERS", "30"))
    except ValueError:
        seconds = users = 0
    base_url = os.environ.get("DATABASE_URL")
    if not base_url or not os.environ.get("REDIS_URL"):
        say("DATABASE_URL and REDIS_URL must be set (`make loadtest` starts embedded servers for them)")
        return 2
    if seconds < 1 or users < 1:
        say("LOADTEST_SECONDS and LOADTEST_USERS must be positive whole numbers")
        return 2

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with bench_run(base_url, prefix="ukbot-loadtest-") as run:
        env, scratch, log_path = run.env, run.scratch, run.scratch / "gunicorn.log"
        started = time.perf_counter()
        accounts = seed(users)
        (scratch / "accounts.json").write_text(json.dumps(accounts))
        say(
            f"database {run.database}: {', '.join(f'{len(v)} {k}s' for k, v in accounts.items())} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        port = free_port()
        gunicorn = run.gunicorn = start_gunicorn(port, "sync", 1, env, log_path)
        wait_ready(port, gunicorn, log_path)
        say(f"gunicorn on 127.0.0.1:{port}; {users} users for {seconds} s")
        command = [
            str(BIN / "locust"),
            "--locustfile",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            f"http://127.0.0.1:{port}",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 2)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ]
        stats_path = scratch / "stats.json"
        locust_env = {**env, "LOADTEST_ACCOUNTS": str(scratch / "accounts.json"), "LOADTEST_STATS": str(stats_path)}
        locust_log = scratch / "locust.log"
        with locust_log.open("w") as log:
            done = subprocess.run(  # noqa: S603 - our own locust with our own arguments
                command, cwd=ROOT, env=locust_env, timeout=seconds + 120, stdout=log, stderr=subprocess.STDOUT
            )
        if done.returncode != 0 or not stats_path.exists():
            raise SystemExit(f"loadtest: locust exited with {done.returncode}:\n{locust_log.read_text()[-3000:]}")
        figures = json.loads(stats_path.read_text())

    summary = report(figures)
    for error in figures["errors"][:10]:
        print(f"  FAILED {error['occurrences']}x {error['method']} {error['name']}: {error['error'][:200]}")
    print(summary)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted; the server and the database it started are gone")
        sys.exit(130)
