"""Fixtures of the chaos tests: a PostgreSQL server private to the session with a migrated template database, and
per test a copy of it, a private redis-server, the fake Bot API and the broker (Redis or RabbitMQ)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid

import pytest

from tests.chaos import harness
from tests.fakes.telegram_api import FakeTelegramAPI

RABBITMQ_URL = os.environ.get("CHAOS_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
TEMPLATE = "chaos_template"
_figures: list[tuple[str, dict]] = []


@pytest.fixture(scope="session")
def private_postgres(tmp_path_factory):
    harness.REPORT.unlink(missing_ok=True)  # the figures of this run only
    pg = harness.PrivatePostgres()
    try:
        pg.init()
        pg.start()
        pg.execute(f'CREATE DATABASE "{TEMPLATE}"')
        log = tmp_path_factory.mktemp("chaos-seed") / "seed.log"
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.chaos.load", "seed"],
            cwd=harness.ROOT,
            env=harness.base_env(DATABASE_URL=pg.dsn(TEMPLATE), REDIS_URL="redis://127.0.0.1:1/0"),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            timeout=300,
        )
        assert seeded.returncode == 0, log.read_text()[-3000:]
        yield pg
    finally:
        pg.stop()


def _rabbitmq_reachable() -> str | None:
    from kombu import Connection

    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _delete_queues(queue: str) -> None:
    from kombu import Connection

    with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
        channel = connection.channel()
        # Never declared when the test failed early: nothing to delete then.
        with contextlib.suppress(Exception):
            channel.queue_delete(queue)


@pytest.fixture(params=["redis"])
def broker(request):
    return request.param


@pytest.fixture
def stack(request, private_postgres, broker, tmp_path):
    if broker == "rabbitmq":
        problem = _rabbitmq_reachable()
        if problem:
            if os.environ.get("CI"):
                pytest.fail(f"RabbitMQ at {RABBITMQ_URL} is unreachable and CI must run these tests: {problem}")
            pytest.skip(f"RabbitMQ at {RABBITMQ_URL} is unreachable ({problem}); CI runs these tests")
    name = f"chaos_{uuid.uuid4().hex[:10]}"
    private_postgres.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    tmp_path.chmod(0o755)
    redis = harness.PrivateRedis(tmp_path)
    redis.start()
    queue = f"ukbot-chaos-{uuid.uuid4().hex[:10]}"
    env = harness.base_env(
        DATABASE_URL=private_postgres.dsn(name),
        REDIS_URL=redis.url,
        CELERY_BROKER_URL=RABBITMQ_URL if broker == "rabbitmq" else redis.url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    with FakeTelegramAPI(token=harness.TOKEN, enforce_limits=True) as fake:
        env["TELEGRAM_API_URL"] = fake.url
        stack = harness.Stack(
            pg=private_postgres,
            database=name,
            redis=redis,
            fake=fake,
            root=tmp_path,
            broker=broker,
            env=env,
            queue=queue,
        )
        started = time.time()
        try:
            yield stack
        finally:
            stack.stop_all()
            if private_postgres.process.poll() is not None:  # a test crashed it and failed before restarting it
                private_postgres.start()
            redis.stop()
            if broker == "rabbitmq":
                _delete_queues(queue)
            stack.figures["test_s"] = round(time.time() - started, 1)
            stack.figures["outcome"] = getattr(request.node, "chaos_outcome", "not run")
            harness.record_figures(request.node.name, broker, stack.figures)
            _figures.append((request.node.name, dict(stack.figures)))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _figures:
        return
    terminalreporter.section("chaos figures (also in var/chaos-report.jsonl)")
    for name, figures in _figures:
        shown = ", ".join(f"{k}={v}" for k, v in figures.items())
        terminalreporter.write_line(f"{name}: {shown}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # The test's outcome, with the first line of its failure, goes into its figures (an xfail says how it fails now).
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        failure = call.excinfo.exconly().splitlines()[0][:300] if call.excinfo else ""
        state = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        item.chaos_outcome = f"{state}: {failure}" if failure else state
