"""Prometheus metrics: HTTP requests (fed by MetricsMiddleware) and the event bus backlog (read at scrape time).

Under a multi-process server set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable) to an empty
directory shared by the workers; ``/metrics`` then aggregates every worker's samples.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count
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
    "Time from the first middleware to the response, by method and route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Record one answered request."""
    method = method if method in _METHODS else "OTHER"  # arbitrary methods must not create new series
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(seconds)


class EventBusCollector:
    """Deliveries waiting (``pending``) and given up (``dead``), counted when scraped.

    One grouped count over the partial index on ``status <> 'done'``: cheap however many events were delivered.
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


def exposition() -> bytes:
    """The Prometheus text exposition of every metric of this process (or of all workers, in multi-process mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    scrape_registry = CollectorRegistry()
    scrape_registry.register(EventBusCollector())
    return generate_latest(process_registry) + generate_latest(scrape_registry)
