"""Probes for the orchestrator and the scraper: ``/healthz`` (alive), ``/readyz`` (dependencies), ``/metrics``.

Plain Django views: no authentication, no throttling, no envelope — load balancers and Prometheus read them.
``/metrics`` says how the system is used (routes, volumes, backlogs), so it answers only a scraper that sends
``Authorization: Bearer <METRICS_TOKEN>``, or, with no token set, a direct call from this machine (a loopback
address and no proxy's forwarding header); anyone else gets 404, as if it were not there.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from celery import current_app
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from ukbot.core import metrics

logger = logging.getLogger(__name__)

# Each check gets this long; a dependency that hangs must not hang the probe.
CHECK_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    # Runs in a pool thread, so on its own connection; close it rather than leave one per probe.
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    # current_app is the project's Celery app (ukbot/__init__.py loads it); core does not import the project.
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(
            max_retries=1,
            interval_start=0,
            interval_step=0,
            timeout=CHECK_TIMEOUT_SECONDS,  # type: ignore[arg-type]  # seconds as a float; celery-types say int
        )


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
}


def run_checks() -> dict[str, dict[str, str]]:
    """Run every check at once; each reports ``{"status": "ok"}`` or ``{"status": "error", "error": <type>}``."""
    results: dict[str, dict[str, str]] = {}
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(check) for name, check in CHECKS.items()}
        for name, future in futures.items():
            try:
                future.result(timeout=CHECK_TIMEOUT_SECONDS + 1)
            except FutureTimeout:
                logger.warning("readyz: %s check timed out", name)
                results[name] = {"status": "error", "error": "timeout"}
            except Exception as exc:
                # The probe is public: the body names the kind of failure, the log has the details.
                logger.warning("readyz: %s check failed: %s", name, exc)
                results[name] = {"status": "error", "error": type(exc).__name__}
            else:
                results[name] = {"status": "ok"}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return results


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; touches no dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when PostgreSQL, Redis and the Celery broker answer; 503 otherwise, naming the failing checks."""
    checks = run_checks()
    ready = all(result["status"] == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether the caller may scrape ``/metrics``: the bearer token when ``METRICS_TOKEN`` is set, else a direct
    call from a loopback address (a proxy on this machine would forward the world, so its header shuts it out)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _space, sent = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "").is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition, for the scraper only (:func:`metrics_allowed`); 404 for anyone else."""
    if not metrics_allowed(request):
        return HttpResponse(status=404, content_type="text/plain")
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
