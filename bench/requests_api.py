"""`/api/v1/requests` under a production server, against a bare DRF endpoint with the same authentication.

    make bench-requests                        (20 s per endpoint; --seconds, --concurrency, --worker-class)

Starts gunicorn (2 workers, DJANGO_DEBUG off) on a fresh PostgreSQL database of its own (``ukbot_bench_<pid>``,
dropped at the end) on the server DATABASE_URL names (the embedded one under ``make``), signs in applicant
accounts through ``/api/v1/auth/login``, and from a separate process drives, for a fixed time each, a mix of
authenticated creates (30 %) and filtered lists (70 %) against ``/api/v1/requests`` and the same load against
``/api/v1/bench/bare`` (``bench/bench_urls.py``: one plain table, raw SQL, same auth), alternating between the two
in slices so that a passing disturbance hits both. Prints requests, errors, throughput, p50/p95/p99 latency and
the gunicorn workers' CPU time per request of both, and the ratio; the last line is

    requests_api: rps=N p95_ms=P bare_rps=B ratio=R
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 2
CREATE_SHARE = 0.30
REQUESTS_PATH = "/api/v1/requests"
BARE_PATH = "/api/v1/bench/bare"
CATEGORIES = ("plumbing", "electricity", "heating")
URGENCIES = ("low", "medium", "high")
PASSWORD = "bench-password-not-a-secret"  # noqa: S105 - throw-away accounts in a throw-away database
TARGET_RPS, TARGET_P95_MS, TARGET_RATIO = 200, 100.0, 0.60
DB_PREFIX = "ukbot_bench_"
SHM = "/dev/shm"  # noqa: S108 - gunicorn's worker heartbeat files, kept in memory as the image does


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


# --- load (runs in its own process) ---------------------------------------------------------------------------
def _one_thread(port, path, tokens, deadline, seed, out) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    statuses: Counter = Counter()
    sample_error = ""
    while time.perf_counter() < deadline:
        token = tokens[rng.randrange(len(tokens))]
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en", "Accept": "application/json"}
        if rng.random() < CREATE_SHARE:
            method, url = "POST", path
            body = json.dumps(
                {
                    "category": rng.choice(CATEGORIES),
                    "urgency": rng.choice(URGENCIES),
                    "description": f"Water is leaking from the ceiling ({rng.randrange(10**6)})",
                }
            )
            headers["Content-Type"] = "application/json"
        else:
            method, url, body = "GET", f"{path}?status=new&category={rng.choice(CATEGORIES)}&per_page=20", None
        started = time.perf_counter()
        try:
            conn.request(method, url, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status = response.status
            if response.will_close:
                conn.close()  # a sync worker closes after each answer; the next request reconnects
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, content = 0, repr(exc).encode()
        latencies.append(time.perf_counter() - started)
        statuses[status] += 1
        if not 200 <= status < 300 and not sample_error:
            sample_error = f"{method} {url} -> {status}: {content[:300].decode(errors='replace')}"
    conn.close()
    out.append((latencies, statuses, sample_error))


def drive(port: int, path: str, tokens: list[str], seconds: float, concurrency: int, seed: int) -> dict:
    """Keep ``concurrency`` keep-alive connections busy with the mix for ``seconds``; return what was seen."""
    out: list = []
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_one_thread, args=(port, path, tokens, deadline, seed * 1000 + i, out))
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses: Counter = Counter()
    for part in out:
        statuses.update(part[1])
    return {
        "latencies": [x for part in out for x in part[0]],
        "statuses": statuses,
        "sample_error": next((part[2] for part in out if part[2]), ""),
        "seconds": time.perf_counter() - started,
    }


def summarize(slices: list[dict]) -> dict:
    """The figures of an endpoint over its time slices: counts, throughput, latency percentiles, CPU per request."""
    latencies = sorted(x for one in slices for x in one["latencies"])
    statuses: Counter = Counter()
    for one in slices:
        statuses.update(one["statuses"])
    seconds = sum(one["seconds"] for one in slices)
    count = max(1, len(latencies))
    return {
        "requests": len(latencies),
        "errors": sum(n for status, n in statuses.items() if not 200 <= status < 300),
        "statuses": dict(statuses),
        "sample_error": next((one["sample_error"] for one in slices if one["sample_error"]), ""),
        "seconds": seconds,
        "rps": len(latencies) / seconds if seconds else 0.0,
        "p50": _percentile(latencies, 50),
        "p95": _percentile(latencies, 95),
        "p99": _percentile(latencies, 99),
        "server_cpu_ms": sum(one["server_cpu"] for one in slices) * 1000 / count,
        "client_cpu_ms": sum(one["client_cpu"] for one in slices) * 1000 / count,
    }


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[index] * 1000


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of the processes (Linux /proc), 0 where unreadable."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _load_process(port, plan, tokens, concurrency, server_pid, results) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; a Ctrl-C goes to it
    for name, path, seconds, seed in plan:
        workers = _children(server_pid)
        cpu_before, own_before = _cpu_seconds(workers), time.process_time()
        seen = drive(port, path, tokens, seconds, concurrency, seed)
        seen["server_cpu"] = _cpu_seconds(workers) - cpu_before
        seen["client_cpu"] = time.process_time() - own_before
        results.put((name, seen))


# --- database, server -------------------------------------------------------------------------------------------
def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connect(url: str):
    import psycopg

    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_database(url: str) -> str:
    """A fresh database for this run; databases of earlier runs whose process is gone are dropped first."""
    name = f"{DB_PREFIX}{os.getpid()}"
    with _admin_connect(url) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{DB_PREFIX}%"]).fetchall()
        for (stale,) in rows:
            suffix = stale[len(DB_PREFIX) :]
            if suffix.isdigit() and (stale == name or not _pid_alive(int(suffix))):
                conn.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(url: str, name: str) -> None:
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, worker_class: str, threads: int, env: dict, log_path: Path) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "ukbot.wsgi",
        "--preload",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--worker-tmp-dir",
        SHM if os.path.isdir(SHM) else tempfile.gettempdir(),
    ]
    # Its own session: a terminal's Ctrl-C reaches us, and we stop it in order.
    with log_path.open("w") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_process(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_ready(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: gunicorn not ready after {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


@dataclass
class Run:
    """One run's database, scratch folder and server environment; ``gunicorn`` is stopped when the run ends."""

    database: str
    scratch: Path
    env: dict[str, str] = field(default_factory=dict)
    gunicorn: subprocess.Popen | None = None


@contextmanager
def bench_run(base_url: str, *, prefix: str = "ukbot-bench-") -> Iterator[Run]:
    """A fresh database on the server ``base_url`` names and a scratch folder, with the environment of a
    production-like gunicorn (DJANGO_DEBUG off, every rate limit raised by ``bench/bench_settings.py``), also put
    into ``os.environ`` for this process. On the way out, however it ends: gunicorn stopped, Django's connections
    closed, the database dropped, the folder removed."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    run: Run | None = None
    try:
        database = create_database(base_url)
        run = Run(database=database, scratch=scratch)
        (scratch / "static").mkdir()
        (scratch / "metrics").mkdir()
        run.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": _with_database(base_url, database),
            "STATIC_ROOT": str(scratch / "static"),
            "MEDIA_ROOT": str(scratch / "media"),
            "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"),  # as the image runs gunicorn
            "DEMO": "0",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        }
        os.environ.update(run.env)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        yield run
    finally:
        if run is not None:
            stop_process(run.gunicorn)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        if run is not None:
            drop_database(base_url, run.database)
        shutil.rmtree(scratch, ignore_errors=True)


def sign_in(port: int, usernames: list[str]) -> list[str]:
    tokens = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for username in usernames:
        body = json.dumps({"username": username, "password": PASSWORD})
        conn.request("POST", "/api/v1/auth/login", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        content = response.read()
        if response.status != 200:
            raise SystemExit(f"bench: signing in {username} failed: {response.status} {content[:300]!r}")
        tokens.append(json.loads(content)["data"]["access"])
        if response.will_close:
            conn.close()
    conn.close()
    return tokens


# --- set-up inside this process (Django against the bench database) ---------------------------------------------
def prepare(accounts: int) -> list[str]:
    """Migrate, create the bare table and ``accounts`` applicants with profiles; return their usernames."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.bench_urls import TABLE_SQL
    from ukbot.users import services as users

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL)
    usernames = []
    for i in range(accounts):
        username = f"bench-applicant-{i:03d}"
        account = get_user_model().objects.create_user(username=username, password=PASSWORD)
        users.profile_create(account_id=account.pk, first_name="Bench", last_name=f"Applicant {i}")
        users.role_grant(account_id=account.pk, role="applicant", granted_by=None)
        usernames.append(username)
    connections.close_all()
    return usernames


def _line(name: str, figures: dict) -> str:
    return (
        f"{name:<9} {figures['requests']:>7} requests in {figures['seconds']:.1f} s, errors {figures['errors']}, "
        f"{figures['rps']:.0f} req/s, p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, "
        f"p99 {figures['p99']:.1f} ms; CPU per request: workers {figures['server_cpu_ms']:.2f} ms, "
        f"client {figures['client_cpu_ms']:.2f} ms"
    )


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="measured time per endpoint (20)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time per endpoint first (3)")
    parser.add_argument("--concurrency", type=int, default=4, help="client connections, both endpoints (4)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class, both endpoints (sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker, for gthread (1)")
    parser.add_argument("--slices", type=int, default=4, help="alternations of the two endpoints (4)")
    parser.add_argument("--accounts", type=int, default=50, help="applicant accounts to spread the load over (50)")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL")
    if not base_url or not os.environ.get("REDIS_URL"):
        say("DATABASE_URL and REDIS_URL must be set (`make bench-requests` starts embedded servers for them)")
        return 2

    # SIGTERM (devstack passes `kill` on) unwinds like Ctrl-C, so the finally below stops what we started.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (a `&` job)
    loader = None
    with bench_run(base_url) as run:
        try:
            env, log_path = run.env, run.scratch / "gunicorn.log"
            started = time.perf_counter()
            usernames = prepare(args.accounts)
            took = time.perf_counter() - started
            say(f"database {run.database} migrated, {len(usernames)} applicants in {took:.1f} s")

            port = free_port()
            gunicorn = run.gunicorn = start_gunicorn(port, args.worker_class, args.threads, env, log_path)
            wait_ready(port, gunicorn, log_path)
            tokens = sign_in(port, usernames)
            say(f"load average before the run: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
            say(
                f"gunicorn {WORKERS} {args.worker_class} workers (threads {args.threads}) on 127.0.0.1:{port}, "
                f"DJANGO_DEBUG off; {len(tokens)} applicants signed in; {args.concurrency} client connections, "
                f"{CREATE_SHARE:.0%} create / {1 - CREATE_SHARE:.0%} list; {args.seconds:g} s each in {args.slices} "
                "alternating slices"
            )

            # The measured time alternates between the endpoints in slices, so a disturbance (another process taking
            # CPU for a while) falls on both rather than on one, which would skew the ratio.
            plan = [("warmup", REQUESTS_PATH, args.warmup, 1), ("warmup", BARE_PATH, args.warmup, 2)]
            for i in range(args.slices):
                plan += [
                    ("requests", REQUESTS_PATH, args.seconds / args.slices, 10 + 2 * i),
                    ("bare", BARE_PATH, args.seconds / args.slices, 11 + 2 * i),
                ]
            results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
            loader = multiprocessing.get_context("spawn").Process(
                target=_load_process,
                args=(port, plan, tokens, args.concurrency, gunicorn.pid, results),
                daemon=True,
            )
            loader.start()
            slices: dict[str, list[dict]] = {"warmup": [], "requests": [], "bare": []}
            for _ in plan:
                name, seen = results.get(timeout=args.seconds + args.warmup + 120)
                slices[name].append(seen)
            loader.join(timeout=10)
        finally:
            if loader is not None and loader.is_alive():
                loader.terminate()
                loader.join(timeout=5)

    requests, bare = summarize(slices["requests"]), summarize(slices["bare"])
    for name, result in (("requests", requests), ("bare", bare)):
        print(_line(name, result))
        if result["errors"]:
            print(f"  ERRORS: {result['errors']} non-2xx answers, by status {result['statuses']}")
            print(f"  first: {result['sample_error']}")
    ratio = requests["rps"] / bare["rps"] if bare["rps"] else 0.0
    print(f"ratio (requests rps / bare rps): {ratio:.2f}")
    missed = []
    if requests["rps"] < TARGET_RPS:
        missed.append(f"rps {requests['rps']:.0f} < {TARGET_RPS}")
    if not requests["p95"] < TARGET_P95_MS:
        missed.append(f"p95 {requests['p95']:.1f} ms >= {TARGET_P95_MS:.0f} ms")
    if ratio < TARGET_RATIO:
        missed.append(f"ratio {ratio:.2f} < {TARGET_RATIO:.2f}")
    if requests["errors"] or bare["errors"]:
        missed.append(f"errors: {requests['errors']} requests, {bare['errors']} bare")
    print("target: met" if not missed else f"target: MISSED ({'; '.join(missed)})")
    print(
        f"requests_api: rps={requests['rps']:.0f} p95_ms={requests['p95']:.1f} "
        f"bare_rps={bare['rps']:.0f} ratio={ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted; the servers and the database it started are gone")
        sys.exit(130)
