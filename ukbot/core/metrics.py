"""Prometheus metrics: HTTP requests (fed by MetricsMiddleware), Celery task outcomes (fed by ukbot.celery's
signals), solver runs (:func:`solver_run`) and backlogs read from the database at scrape time (the event bus here;
apps add theirs with :func:`register_scrape_collector`). docs/decisions/0031 lists them.

Under a multi-process server set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable) to an empty
directory shared by the workers; ``/metrics`` then aggregates every worker's samples. Celery workers on the same
host write to the same directory when started with the same variable.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "ukbot_http_requests",
    "HTTP requests answered, by method, route pattern and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "ukbot_http_request_duration_seconds",
    "Time from the first middleware to the response, by method, route pattern and status class (2xx, 4xx…).",
    ["method", "route", "status_class"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Record one answered request."""
    method = method if method in _METHODS else "OTHER"  # arbitrary methods must not create new series
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    status_class = f"{status // 100}xx" if 100 <= status < 600 else "other"
    HTTP_LATENCY.labels(method=method, route=route, status_class=status_class).observe(seconds)


CELERY_TASKS = Counter(
    "ukbot_celery_tasks",
    "Celery task runs finished, by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)
_TASK_OUTCOMES = frozenset({"success", "failure", "retry"})


def observe_task(*, task: str, outcome: str) -> None:
    """Record one finished Celery task run (called from the worker's signals in ukbot.celery)."""
    if outcome not in _TASK_OUTCOMES:
        raise ValueError(f"unknown task outcome {outcome!r}")
    CELERY_TASKS.labels(task=task or "<unnamed>", outcome=outcome).inc()


SOLVER_RUNS = Counter(
    "ukbot_solver_runs", "Solver runs finished, by solver name and outcome (ok, error).", ["solver", "outcome"]
)
SOLVER_DURATION = Histogram(
    "ukbot_solver_run_duration_seconds",
    "Wall time of one solver run, by solver name.",
    ["solver"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)


@contextmanager
def solver_run(name: str) -> Iterator[None]:
    """Count and time one run of the solver ``name`` (a fixed name in code, never user input).

    An exception escaping the block counts the run as ``error`` and is re-raised.
    """
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        SOLVER_DURATION.labels(solver=name).observe(time.perf_counter() - started)
        SOLVER_RUNS.labels(solver=name, outcome=outcome).inc()


class ScrapeCollector(Protocol):
    def collect(self) -> Iterator[GaugeMetricFamily]: ...


_SCRAPE_COLLECTORS: list[ScrapeCollector] = []


def register_scrape_collector(collector: ScrapeCollector) -> None:
    """Add a collector read on every scrape (an app's backlog counted from its tables), once per process.

    Gauges read from the database are the same whichever process answers, so they live outside the multi-process
    files: register in ``AppConfig.ready``. The collector must catch its own database errors.
    """
    if not any(type(existing) is type(collector) for existing in _SCRAPE_COLLECTORS):
        _SCRAPE_COLLECTORS.append(collector)


class EventBusCollector:
    """Deliveries waiting (``pending``) and given up (``dead``), and the age of the oldest pending one (the bus lag),
    read when scraped.

    Two queries over the partial index on ``status <> 'done'``: cheap however many events were delivered.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from ukbot.core.models import Delivery

        gauge = GaugeMetricFamily(
            "ukbot_event_deliveries", "Event deliveries not done, by status (pending, dead).", labels=["status"]
        )
        try:
            rows = dict(
                Delivery.objects.exclude(status=Delivery.Status.DONE).values_list("status").annotate(Count("id"))
            )
        except DatabaseError:
            logger.warning("metrics: could not count event deliveries", exc_info=True)
            return
        for status in (Delivery.Status.PENDING, Delivery.Status.DEAD):
            gauge.add_metric([status.value], rows.get(status.value, 0))
        yield gauge
        try:
            pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
            oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
        except DatabaseError:
            logger.warning("metrics: could not read the event bus lag", exc_info=True)
            return
        lag = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "ukbot_event_bus_lag_seconds", "Age of the oldest pending event delivery; 0 when none waits.", value=lag
        )


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def serve_process_metrics(port: int, *, addr: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from other pods
    """Serve this process's metrics (every pool process's, in multi-process mode) over HTTP on ``port``, from a
    daemon thread: for a Celery worker, which answers no HTTP of its own. No database gauges: web serves those."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=addr, registry=_process_registry())


def exposition() -> bytes:
    """The Prometheus text exposition of every metric of this process (or of all workers, in multi-process mode)."""
    process_registry = _process_registry()
    scrape_registry = CollectorRegistry()
    scrape_registry.register(EventBusCollector())
    for collector in _SCRAPE_COLLECTORS:
        scrape_registry.register(collector)
    return generate_latest(process_registry) + generate_latest(scrape_registry)
