"""/healthz, /readyz and /metrics of the real URLconf, against the machine's PostgreSQL and Redis."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import current_app
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ukbot.core.models import Delivery, OutboxEvent
from ukbot.core.tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[3]


def _samples(response) -> dict[tuple[str, tuple], float]:
    return _parse(response.content.decode())


def _parse(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_answers_ok_without_touching_the_database(client):
    # no django_db mark: any database access would fail this request
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_a_probe_by_ip_that_is_not_an_allowed_host(client):
    # an orchestrator probes the pod's IP; other paths still refuse a host outside ALLOWED_HOSTS
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_healthz_needs_no_authentication_and_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_green_when_database_redis_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "redis": {"status": "ok"}, "broker": {"status": "ok"}},
    }


@pytest.mark.django_db
def test_readyz_is_503_when_redis_is_unreachable(client, settings):
    # given a Redis URL where nothing listens
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "database": {"status": "ok"},
            "redis": {"status": "error", "error": "ConnectionError"},
            "broker": {"status": "ok"},
        },
    }


@pytest.fixture
def unreachable_broker():
    original = current_app.conf.broker_url
    current_app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    current_app.conf.broker_url = original


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable(client, unreachable_broker):
    started = time.monotonic()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": {"status": "ok"},
        "redis": {"status": "ok"},
        "broker": {"status": "error", "error": "OperationalError"},
    }
    assert time.monotonic() - started < 3


@pytest.mark.django_db
def test_readyz_reads_a_unix_socket_redis_url(client, settings, tmp_path):
    # given a unix:// URL (the devstack's form) naming a socket that does not exist
    settings.REDIS_URL = f"unix://{tmp_path}/redis.sock?db=0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"status": "error", "error": "ConnectionError"}


@pytest.mark.django_db
def test_metrics_count_and_time_requests_by_method_route_and_status(client):
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    timing = {"method": "GET", "route": "/healthz", "status_class": "2xx"}
    before = REGISTRY.get_sample_value("ukbot_http_requests_total", labels) or 0.0
    timed_before = REGISTRY.get_sample_value("ukbot_http_request_duration_seconds_count", timing) or 0.0

    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = _samples(response)
    assert samples[("ukbot_http_requests_total", tuple(sorted(labels.items())))] == before + 2
    assert samples[("ukbot_http_request_duration_seconds_count", tuple(sorted(timing.items())))] == timed_before + 2


@pytest.mark.urls("ukbot.core.tests.api_urls")
def test_metrics_label_routes_by_pattern_not_by_path(client):
    labels = {"method": "GET", "route": "/api/v1/app-error/<str:kind>/", "status": "409"}
    before = REGISTRY.get_sample_value("ukbot_http_requests_total", labels) or 0.0
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    unmatched_before = REGISTRY.get_sample_value("ukbot_http_requests_total", unmatched) or 0.0

    client.get("/api/v1/app-error/conflict/")
    client.get("/api/v1/app-error/generic/")
    client.get(f"/api/v1/nothing-{uuid.uuid4().hex}/")

    assert REGISTRY.get_sample_value("ukbot_http_requests_total", labels) == before + 2
    assert REGISTRY.get_sample_value("ukbot_http_requests_total", unmatched) == unmatched_before + 1


@pytest.mark.django_db
def test_metrics_report_pending_and_dead_event_deliveries(client):
    # given two pending, one dead and one done delivery
    event = OutboxEvent.objects.create(type="thing.happened", source="testing", time=timezone.now())
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(event=event, handler=f"h{n}", status=status, available_at=now)
        for n, status in enumerate(["pending", "pending", "dead", "done"])
    )

    samples = _samples(client.get("/metrics"))

    assert samples[("ukbot_event_deliveries", (("status", "pending"),))] == 2
    assert samples[("ukbot_event_deliveries", (("status", "dead"),))] == 1


_CHILD = """
import sys
import django
django.setup()
from django.test import Client
client = Client()
client.get("/healthz")
sys.stdout.write(client.get("/metrics").content.decode())
"""


@pytest.mark.django_db
def test_metrics_in_multi_process_mode_are_read_from_the_shared_directory(tmp_path):
    # given a process started the way the image starts gunicorn workers, with PROMETHEUS_MULTIPROC_DIR set
    env = subprocess_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="ukbot.settings")

    child = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    # then its samples went through the directory and /metrics aggregated them
    assert child.returncode == 0, child.stderr
    assert list(tmp_path.glob("counter_*.db")) != []
    samples = _parse(child.stdout)
    labels = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    assert samples[("ukbot_http_requests_total", labels)] == 1
    assert samples[("ukbot_event_deliveries", (("status", "pending"),))] == 0


def test_metrics_still_answer_without_the_database(tmp_path):
    # given a process whose database refuses connections
    env = subprocess_env(
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="ukbot.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing",
    )

    child = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    # then /metrics answers with the request metrics and leaves the event gauges out
    assert child.returncode == 0, child.stderr
    samples = _parse(child.stdout)
    assert samples[("ukbot_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 1
    assert not any(name == "ukbot_event_deliveries" for name, _ in samples)
    assert "metrics: could not count event deliveries" in child.stderr
