"""`make run`'s launcher, as a newcomer uses it: embedded servers, web + admin + API docs, worker and beat, a
crashed worker started again, Ctrl-C stops everything, and a second run finds the data of the first."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Run:
    def __init__(self, var: Path, port: int, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}}
        env.update(
            UKBOT_VAR_DIR=str(var),
            WEB_BIND=f"127.0.0.1:{port}",
            WEB_WORKERS="1",
            WORKER_CONCURRENCY="1",
            DJANGO_SUPERUSER_USERNAME="boss",
            DJANGO_SUPERUSER_PASSWORD="a-long-local-password",
            PYTHONUNBUFFERED="1",
        )
        env.pop("TELEGRAM_BOT_TOKEN", None)
        self.log = log
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ukbot.devstack", "run"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until(self, predicate, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if self.process.poll() is not None:
                pytest.fail(f"make run exited while waiting for {what}:\n{self.output()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n{self.output()[-4000:]}")
            time.sleep(0.3)

    def get(self, path: str, opener=None) -> tuple[int, str]:
        try:
            with (opener or urllib.request.build_opener()).open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail(f"make run did not stop within 60 s of Ctrl-C:\n{self.output()[-4000:]}")

    def kill(self) -> int:
        """Stop it the way a supervisor or a script does: SIGTERM to the launcher's process only."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make run did not stop within 60 s of SIGTERM:\n{self.output()[-4000:]}")


def _admin_login(run: Run) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = run.get("/admin/login/?next=/admin/", opener)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "boss", "password": "a-long-local-password", "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(run.base + "/admin/login/?next=/admin/", data=form, headers={"Referer": run.base})
    with opener.open(request, timeout=10) as response:
        return response.read().decode()


def _celery_worker(root: int) -> int:
    """The main process of the Celery worker that ``root`` started, however deep (not one of its pool processes)."""
    parents, commands = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    commands[int(entry)] = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue

    def under_root(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == root:
                return True
        return False

    def is_worker(pid: int) -> bool:  # python .../celery -A ukbot worker ..., not the shell of the Procfile line
        command = commands.get(pid, "")
        return "celery" in command and " worker" in command and not command.startswith("/bin/sh")

    found = [pid for pid in commands if is_worker(pid) and not is_worker(parents.get(pid, 0)) and under_root(pid)]
    assert len(found) == 1, found
    return found[0]


def _leftovers(var: Path) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in ps.splitlines() if str(var) in line]


@pytest.fixture
def runs():
    """Launchers a test started, stopped afterwards if a failed assertion left them running."""
    started: list[Run] = []
    yield started
    for run in started:
        if run.process.poll() is None:
            run.kill()


def test_make_run_brings_the_system_up_and_ctrl_c_stops_it(tmp_path, runs):
    var = tmp_path / "var"
    port = _free_port()

    run = Run(var, port, tmp_path / "first.log")
    runs.append(run)
    run.wait_until(lambda: run.get("/readyz")[0] == 200, "/readyz to turn green")
    run.wait_until(lambda: "ready." in run.output(), "the Celery worker")
    run.wait_until(lambda: "beat: Starting" in run.output(), "Celery beat")
    assert "admin account 'boss' created" in run.output()
    assert run.get("/healthz")[0] == 200
    assert 'id="logout-form"' in _admin_login(run)  # logged in (the page is in Russian, the default)
    status, docs = run.get("/api/docs/")
    assert status == 200 and "swagger" in docs.lower()
    assert run.get("/api/v1/schema/")[0] == 200
    # a worker that crashes is started again, and the rest keeps running
    os.kill(_celery_worker(run.process.pid), signal.SIGKILL)
    run.wait_until(lambda: run.output().count("ready.") >= 2, "the Celery worker to be restarted")
    assert "worker exited with code 137; restarting it in 1 s" in run.output()
    assert run.get("/healthz")[0] == 200
    assert run.ctrl_c() == 0
    assert "Failed to stop server" not in run.output()  # PostgreSQL stopped cleanly, not killed
    time.sleep(1)
    assert _leftovers(var) == []

    again = Run(var, port, tmp_path / "second.log")
    runs.append(again)
    again.wait_until(lambda: again.get("/readyz")[0] == 200, "/readyz on the second run")
    assert "admin account 'boss' exists" in again.output()
    assert 'id="logout-form"' in _admin_login(again)
    status, body = again.get("/api/v1/no-such-endpoint")  # DEBUG is on in make run: still the JSON envelope
    assert status == 404 and '"NOT_FOUND"' in body
    assert again.kill() == 0
    time.sleep(1)
    assert _leftovers(var) == []
