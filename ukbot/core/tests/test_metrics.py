"""The metrics of issue 16 read through the real /metrics: latency by route and status class, the event bus lag,
dead letters, Celery task outcomes and solver runs (docs/decisions/0031)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from ukbot.celery import app
from ukbot.celery_worker import start_worker, stop_worker
from ukbot.core import metrics
from ukbot.core.models import Delivery, OutboxEvent
from ukbot.core.tests.conftest import subprocess_env
from ukbot.core.tests.test_api_health import ROOT, _parse, _samples


@app.task(name="tests.metrics.works")
def _works() -> str:
    return "done"


@app.task(name="tests.metrics.breaks")
def _breaks() -> None:
    raise ValueError("broken on purpose")


@app.task(name="tests.metrics.retries", bind=True, max_retries=1, default_retry_delay=0)
def _retries(self) -> None:
    raise self.retry(exc=RuntimeError("try again"))


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.urls("ukbot.core.tests.api_urls")
def test_latency_is_labelled_by_route_pattern_method_and_status_class(client):
    conflict = {"method": "GET", "route": "/api/v1/app-error/<str:kind>/", "status_class": "4xx"}
    unmatched = {"method": "GET", "route": "<unmatched>", "status_class": "4xx"}
    before = _value("ukbot_http_request_duration_seconds_count", **conflict)
    unmatched_before = _value("ukbot_http_request_duration_seconds_count", **unmatched)

    client.get("/api/v1/app-error/conflict/")
    client.get("/api/v1/app-error/generic/")
    client.get("/api/v1/nothing-at-all/")
    client.generic("BREW", "/api/v1/nothing-either/")

    assert _value("ukbot_http_request_duration_seconds_count", **conflict) == before + 2
    assert _value("ukbot_http_request_duration_seconds_count", **unmatched) == unmatched_before + 1
    # an unknown method is folded into OTHER, so it cannot create series of its own
    folded = {"route": "<unmatched>", "status_class": "4xx"}
    assert _value("ukbot_http_request_duration_seconds_count", method="BREW", **folded) == 0
    assert _value("ukbot_http_request_duration_seconds_count", method="OTHER", **folded) >= 1
    # and the le buckets exist for the p95 of the dashboard and the alert
    assert _value("ukbot_http_request_duration_seconds_bucket", **conflict, le="+Inf") == before + 2


@pytest.mark.django_db
def test_bus_lag_is_the_age_of_the_oldest_pending_delivery(client):
    # given no pending delivery, the lag is zero
    samples = _samples(client.get("/metrics"))
    assert samples[("ukbot_event_bus_lag_seconds", ())] == 0

    # given a delivery pending for five minutes, a newer one, and an older one already done or dead
    event = OutboxEvent.objects.create(type="thing.happened", source="testing", time=timezone.now())
    now = timezone.now()
    rows = Delivery.objects.bulk_create(
        Delivery(event=event, handler=f"h{n}", status=status, available_at=now)
        for n, status in enumerate(["pending", "pending", "done", "dead"])
    )
    ages = [timedelta(minutes=5), timedelta(seconds=3), timedelta(hours=2), timedelta(hours=3)]
    for row, age in zip(rows, ages, strict=True):
        Delivery.objects.filter(pk=row.pk).update(created_at=now - age)

    samples = _samples(client.get("/metrics"))

    # then the lag is the five minutes of the oldest pending one; the done and dead rows do not count
    assert 300 <= samples[("ukbot_event_bus_lag_seconds", ())] < 330
    # and the dead letter is counted
    assert samples[("ukbot_event_deliveries", (("status", "dead"),))] == 1


def test_celery_task_outcomes_are_counted_by_task_name():
    ok_before = _value("ukbot_celery_tasks_total", task="tests.metrics.works", outcome="success")
    failed_before = _value("ukbot_celery_tasks_total", task="tests.metrics.breaks", outcome="failure")
    retried_before = _value("ukbot_celery_tasks_total", task="tests.metrics.retries", outcome="retry")

    # when the tasks run through Celery's tracer (eagerly, in this process)
    assert _works.apply().get() == "done"
    result = _breaks.apply()
    with pytest.raises(ValueError, match="broken on purpose"):
        result.get()
    _retries.apply()

    assert _value("ukbot_celery_tasks_total", task="tests.metrics.works", outcome="success") == ok_before + 1
    assert _value("ukbot_celery_tasks_total", task="tests.metrics.breaks", outcome="failure") == failed_before + 1
    assert _value("ukbot_celery_tasks_total", task="tests.metrics.retries", outcome="retry") >= retried_before + 1


def test_an_unknown_task_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown task outcome"):
        metrics.observe_task(task="tests.metrics.works", outcome="maybe")


def test_solver_runs_are_counted_and_timed_and_errors_pass_through():
    ok_before = _value("ukbot_solver_runs_total", solver="test-solver", outcome="ok")
    error_before = _value("ukbot_solver_runs_total", solver="test-solver", outcome="error")
    timed_before = _value("ukbot_solver_run_duration_seconds_count", solver="test-solver")

    with metrics.solver_run("test-solver"):
        pass
    with pytest.raises(ZeroDivisionError), metrics.solver_run("test-solver"):
        1 / 0  # noqa: B018

    assert _value("ukbot_solver_runs_total", solver="test-solver", outcome="ok") == ok_before + 1
    assert _value("ukbot_solver_runs_total", solver="test-solver", outcome="error") == error_before + 1
    assert _value("ukbot_solver_run_duration_seconds_count", solver="test-solver") == timed_before + 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _scrape(url: str) -> dict[tuple[str, tuple], float]:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - our own worker on loopback
            return _parse(answer.read().decode())
    except OSError:
        return {}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("directory", ["given", "own"])
def test_a_real_worker_serves_its_task_outcomes_on_celery_metrics_port(tmp_path, directory):
    # given a worker with two pool processes and a port, with a shared directory given or (as a worker pod starts
    # it) none, so the worker takes one of its own
    port = _free_port()
    env = subprocess_env(CELERY_METRICS_PORT=str(port))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if directory == "given":
        env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    app.control.purge()
    worker = start_worker(concurrency=2, env=env)
    try:
        # when it runs a task three times
        for _ in range(3):
            app.send_task("ukbot.core.expire_idempotency_keys")
        key = ("ukbot_celery_tasks_total", (("outcome", "success"), ("task", "ukbot.core.expire_idempotency_keys")))
        deadline = time.monotonic() + 60
        samples = _scrape(f"http://127.0.0.1:{port}/metrics")
        while samples.get(key, 0) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
            samples = _scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        stop_worker(worker)

    # then its port served the three successes, gathered from the pool processes
    assert samples.get(key) == 3


def test_a_worker_refuses_a_celery_metrics_port_that_is_no_port():
    child = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "ukbot", "worker", "--pool", "solo"],
        cwd=ROOT,
        env={**os.environ, "CELERY_METRICS_PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert child.returncode != 0
    assert "CELERY_METRICS_PORT must be a TCP port number, got 'eighty'" in child.stderr
