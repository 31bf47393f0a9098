"""The Celery application: configuration from Django settings, tasks from every app's ``tasks.py``."""

from __future__ import annotations

import os
import tempfile

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun, task_retry, task_success, worker_init

from ukbot.core.env import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")


def _worker_metrics_directory() -> None:
    # A worker serving its metrics (CELERY_METRICS_PORT) counts its pool processes' tasks through prometheus_client's
    # multi-process directory, which must be in the environment before prometheus_client is first imported (this
    # module comes first) and must not hold another process's files. Unless one is given, it takes a fresh one.
    if os.environ.get("CELERY_METRICS_PORT", "").strip() and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ukbot-worker-metrics-")


_worker_metrics_directory()

app = Celery("ukbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _load_settings() -> None:
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018 - touching settings validates the environment


@app.on_configure.connect
def _validate_environment(sender: Celery, **kwargs) -> None:
    # Worker and beat read settings here first: a bad variable stops them with one line, not a traceback.
    exit_on_config_error(_load_settings)


@app.on_after_finalize.connect
def _beat_schedule(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "events-sweep": {"task": "ukbot.core.sweep_events", "schedule": float(settings.EVENTS_SWEEP_SECONDS)},
        "idempotency-expiry": {"task": "ukbot.core.expire_idempotency_keys", "schedule": 3600.0},
        "events-retention": {"task": "ukbot.core.purge_delivered_events", "schedule": 86400.0},
        "notifications-retention": {"task": "ukbot.notifications.purge", "schedule": 86400.0},
        "login-attempts-retention": {"task": "ukbot.auth.purge_login_attempts", "schedule": 86400.0},
        "sessions-retention": {"task": "ukbot.auth.purge_sessions", "schedule": 86400.0},
        "requests-sla-sweep": {"task": "ukbot.requests.sla_sweep", "schedule": 60.0},
        "requests-auto-accept": {"task": "ukbot.requests.auto_accept", "schedule": 15 * 60.0},
        "notifications-deliver": {
            "task": "ukbot.notifications.deliver",
            "schedule": float(settings.NOTIFICATIONS_SWEEP_SECONDS),
        },
        **settings.CELERY_BEAT_SCHEDULE,
    }


@task_prerun.connect
def _trace_in(task_id=None, task=None, **kwargs) -> None:
    from ukbot.core.tracing import set_trace_id

    task.request.trace_token = set_trace_id(task_id)


@task_postrun.connect
def _trace_out(task=None, **kwargs) -> None:
    from ukbot.core.tracing import reset_trace_id

    token = getattr(task.request, "trace_token", None)
    if token is not None:
        reset_trace_id(token)


# Task outcomes for /metrics (ukbot_celery_tasks_total); `sender` is the task for success and failure, and for
# retry `request` carries the task name.
@task_success.connect
def _count_success(sender=None, **kwargs) -> None:
    from ukbot.core.metrics import observe_task

    observe_task(task=getattr(sender, "name", ""), outcome="success")


@task_failure.connect
def _count_failure(sender=None, **kwargs) -> None:
    from ukbot.core.metrics import observe_task

    observe_task(task=getattr(sender, "name", ""), outcome="failure")


@task_retry.connect
def _count_retry(sender=None, request=None, **kwargs) -> None:
    from ukbot.core.metrics import observe_task

    observe_task(task=str(getattr(request, "task", None) or getattr(sender, "name", "")), outcome="retry")


@worker_init.connect
def _serve_metrics(**kwargs) -> None:
    # A worker answers no HTTP: with CELERY_METRICS_PORT set it serves its task counters for Prometheus there.
    # Prefork pool processes report through PROMETHEUS_MULTIPROC_DIR (a fresh one of its own unless given).
    raw = os.environ.get("CELERY_METRICS_PORT", "").strip()
    if not raw:
        return
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"CELERY_METRICS_PORT must be a TCP port number, got {raw!r}")
    from ukbot.core.metrics import serve_process_metrics

    serve_process_metrics(int(raw))
