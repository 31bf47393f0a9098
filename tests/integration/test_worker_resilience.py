"""The Celery worker outlives its broker: a private Redis killed with SIGKILL under load and started again on the
same port, a pool process killed soon after start; and `make run`'s supervisor restarting a crashed process."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from tests.processes import free_port
from ukbot.celery_worker import launch_worker, start_worker, stop_worker, wait_for_worker
from ukbot.core.tests import conftest as bus_fixtures
from ukbot.core.tests.conftest import subprocess_env
from ukbot.supervise import Supervisor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
effects = bus_fixtures.effects  # the bus tests' record of handler runs

ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis:
    """A redis-server of this test on a free port, without persistence: killed, it comes back empty."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def broker(tmp_path):
    server = PrivateRedis(tmp_path / "redis.log")
    server.start()
    yield server
    server.kill()


# Publishes one event of the bus tests every 20 ms for the given seconds, through the service, from its own
# process that uses the private Redis as cache and broker like web and bot do.
_PUBLISHER = textwrap.dedent(
    """
    import os, sys, time, django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")
    django.setup()
    from django.db import transaction
    from ukbot.core.events import publish
    from ukbot.core.tests.bus_handlers import THING_HAPPENED
    until = time.monotonic() + float(sys.argv[1])
    i = 0
    while time.monotonic() < until:
        with transaction.atomic():
            publish(THING_HAPPENED, subject=f"r{i % 7}", data={"i": i, "sleep": 0.05})
        i += 1
        time.sleep(0.02)
    print(i, flush=True)
    """
)


def _worker_log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


def _publish(env: dict[str, str], seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _PUBLISHER, str(seconds)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _published(publisher: subprocess.Popen) -> int:
    out, err = publisher.communicate(timeout=60)
    assert publisher.returncode == 0, err.decode()[-3000:]
    return int(out)


def _outbox_ids() -> set:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM core.outbox WHERE type = 'thing.happened'")
        return {row[0] for row in cursor.fetchall()}


def test_the_worker_outlives_a_broker_restart_and_every_event_is_delivered_once(broker, effects, tmp_path):
    env = subprocess_env(REDIS_URL=broker.url, CELERY_BROKER_URL=broker.url, PYTHONUNBUFFERED="1")
    log = tmp_path / "worker.log"
    # given a worker on the private broker, and events being published through the service
    worker = start_worker(env=env, broker_url=broker.url, log=log, loglevel="INFO")
    publisher = _publish(env, 8)
    try:
        _wait(lambda: len(effects()) >= 20, 30, "the relay at work")
        # when, with a relay in the middle of a batch, the broker is killed without warning and a new, empty one
        # starts on the same port
        broker.kill()
        time.sleep(1.5)
        broker.start()
        published = _published(publisher)
        # then every event is delivered once, within a bound
        ids = _outbox_ids()
        assert len(ids) == published
        started = time.monotonic()
        _wait(lambda: len(effects()) >= 2 * published or worker.poll() is not None, 45, "every event delivered")
        recovery = time.monotonic() - started
        # and the same worker process still consumes: what is published now is delivered too
        publisher = _publish(env, 1)
        published += _published(publisher)
        ids = _outbox_ids()
        assert len(ids) == published
        _wait(lambda: len(effects()) >= 2 * published or worker.poll() is not None, 45, "the later events delivered")
        assert worker.poll() is None, f"the worker exited with {worker.returncode}:\n{_worker_log_tail(log)}"
        time.sleep(0.5)
        runs = Counter((event_id, handler) for event_id, handler, *_ in effects())
        assert runs == {(e, h): 1 for e in ids for h in ("first", "second")}
        print(f"published {published}, the first ones all delivered {recovery:.1f} s after the last was published")
    finally:
        publisher.kill()
        publisher.wait()
        stop_worker(worker)


def test_the_supervisor_restarts_a_process_that_exits_and_stops_all_on_sigterm(tmp_path):
    # given a Procfile with a process that leaves a child behind and exits at once, and one that runs until stopped
    # (both under a shell that does not exec them, as /bin/sh -c runs a Procfile line)
    (tmp_path / "Procfile").write_text(
        "# a crash-looping process and a steady one\n"
        "crasher: sleep 600 & echo crasher up, left $!; exit 3\n"
        "steady: python -c \"import os, time; print('steady up', os.getpid(), flush=True); time.sleep(600)\"\n"
    )
    log = tmp_path / "supervise.log"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "ukbot.supervise", "-f", str(tmp_path / "Procfile")],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # when the crasher has exited three times
        _wait(lambda: log.read_text().count("crasher up") >= 3 or supervisor.poll() is not None, 30, "restarts")
        output = log.read_text()
        # then it was started again each time, after a pause that doubles, and the steady one kept running
        assert supervisor.poll() is None, output
        assert "crasher exited with code 3; restarting it in 1 s" in output
        assert "crasher exited with code 3; restarting it in 2 s" in output
        assert output.count("steady up") == 1
        assert re.search(r"^\d\d:\d\d:\d\d crasher +\| crasher up, left \d+$", output, re.MULTILINE), output
        # and what an exited process left behind was killed with it
        left = [int(pid) for pid in re.findall(r"crasher up, left (\d+)", output)]
        _wait(lambda: not _alive(left[0]), 10, "the left-behind child to be killed")
        steady = int(re.search(r"steady up (\d+)", output).group(1))
        # and SIGTERM stops every process, including one a shell runs, and the supervisor with status 0
        supervisor.terminate()
        assert supervisor.wait(timeout=30) == 0
        assert not _alive(steady)
        assert not any(_alive(pid) for pid in left)
        assert "all stopped" in log.read_text()
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent to collect it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def test_a_pool_process_killed_before_the_worker_is_ready_is_replaced(effects, tmp_path):
    broker = PrivateRedis(tmp_path / "redis.log")
    env = subprocess_env(REDIS_URL=broker.url, CELERY_BROKER_URL=broker.url, PYTHONUNBUFFERED="1")
    log = tmp_path / "worker.log"
    # given a worker started while its broker is still down, so it is not ready yet
    worker = launch_worker(env=env, log=log, loglevel="INFO")
    try:
        _wait(lambda: len(_children(worker.pid)) == 2 or worker.poll() is not None, 60, "the pool processes")
        time.sleep(0.5)
        killed = _children(worker.pid)[0]
        # when one of its pool processes is killed with SIGKILL, and then the broker comes up
        os.kill(killed, signal.SIGKILL)
        time.sleep(0.5)
        broker.start()
        # then the same worker gets ready, with a new pool process in place of the killed one
        wait_for_worker(worker, broker_url=broker.url, timeout=60)
        assert worker.poll() is None, _worker_log_tail(log)
        _wait(lambda: len(_children(worker.pid)) == 2, 30, "a replacement pool process")
        assert killed not in _children(worker.pid)
        # and it delivers what is published now, each event once
        published = _published(_publish(env, 1))
        _wait(lambda: len(effects()) >= 2 * published or worker.poll() is not None, 45, "the events delivered")
        assert worker.poll() is None, f"the worker exited with {worker.returncode}:\n{_worker_log_tail(log)}"
        runs = Counter((event_id, handler) for event_id, handler, *_ in effects())
        assert runs == {(e, h): 1 for e in _outbox_ids() for h in ("first", "second")}
        assert f"pool process {killed} was killed by signal 9 before the worker was ready" in log.read_text()
    finally:
        stop_worker(worker)
        broker.kill()


def test_beat_keeps_sending_through_a_broker_restart(broker, tmp_path):
    import redis

    env = subprocess_env(
        REDIS_URL=broker.url, CELERY_BROKER_URL=broker.url, PYTHONUNBUFFERED="1", EVENTS_SWEEP_SECONDS="1"
    )
    log = tmp_path / "beat.log"
    queued = lambda: redis.Redis.from_url(broker.url, socket_timeout=2).llen("celery")  # noqa: E731 - no worker
    # given beat sending the event sweep every second to the private broker
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ukbot", "beat", "--loglevel", "INFO", "-s", str(tmp_path / "sched")],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: queued() >= 2 or beat.poll() is not None, 60, "beat to send")
        # when the broker is killed and an empty one starts on the same port a few seconds later
        broker.kill()
        time.sleep(3)
        broker.start()
        # then the same beat process sends again
        _wait(lambda: queued() >= 2 or beat.poll() is not None, 30, "beat to send again")
        assert beat.poll() is None, log.read_text()[-3000:]
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait()


def _pauses(command: str, seconds: float, **timing: float) -> list[float]:
    """The restart pauses the supervisor announces for ``command`` within ``seconds``."""
    out = io.StringIO()
    supervisor = Supervisor({"p": command}, cwd=ROOT, env=dict(os.environ), out=out, colour=False, **timing)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    time.sleep(seconds)
    supervisor.stop()
    runner.join(timeout=30)
    assert not runner.is_alive()
    return [float(pause) for pause in re.findall(r"restarting it in ([\d.]+) s", out.getvalue())]


def test_the_restart_pause_doubles_up_to_a_cap_and_starts_over_after_a_stable_run():
    timing = {"backoff_first": 0.1, "backoff_max": 0.4, "stable_after": 0.5, "stop_grace": 5}
    # a process that exits at once: 0.1, 0.2, 0.4, then 0.4 s for as long as it keeps exiting
    assert _pauses("exit 1", 2.5, **timing)[:5] == [0.1, 0.2, 0.4, 0.4, 0.4]
    # a process that stays up longer than stable_after each time: the pause stays the first one
    assert set(_pauses("sleep 0.7; exit 1", 2.5, **timing)) == {0.1}
