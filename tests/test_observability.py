"""CI check of deploy/observability (issue 16): the Prometheus rule file has Prometheus's structure, every
expression is well-formed PromQL, and the alerts and the Grafana dashboard name only metrics our /metrics serves.

No pure-Python PromQL parser is available to the project (``promql-parser`` is not on our package index;
docs/decisions/0031), so :func:`_check_promql` lexes each expression: closed strings and balanced brackets, valid
range durations, known functions and keywords, and every metric name collected for the comparison with a scrape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.db import transaction
from prometheus_client.parser import text_string_to_metric_families

from tests import factories
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.celery import app
from ukbot.core import metrics
from ukbot.notifications import ratelimit
from ukbot.notifications.services import delivery

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "deploy" / "observability" / "prometheus-rules.yml"
DASHBOARD = ROOT / "deploy" / "observability" / "grafana-dashboard.json"
TOKEN = "123456:observability-secret"

_FUNCTIONS = frozenset(
    str.split(
        "abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min count_over_time day_of_month "
        "day_of_week delta deriv exp floor histogram_quantile holt_winters idelta increase irate label_join "
        "label_replace "
        "last_over_time ln log2 log10 max_over_time min_over_time predict_linear quantile_over_time rate resets round "
        "scalar sgn sort sort_desc sqrt stddev_over_time sum_over_time time timestamp vector"
    )
)
_AGGREGATIONS = frozenset(str.split("sum min max avg group stddev stdvar count count_values bottomk topk quantile"))
_KEYWORDS = frozenset(str.split("by without on ignoring group_left group_right bool offset and or unless"))
_TOKEN = re.compile(
    r"""\s+|(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<duration>(?<=\[)\d+[smhdwy](?:\d+[smhdwy])*(?=[]:]))"""
    r"""|(?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)|(?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)"""
    r"""|(?P<op>==|!=|=~|!~|>=|<=|[-+*/%^<>=(){}\[\],:])"""
)
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _check_promql(expr: str) -> set[str]:
    """Raise AssertionError if ``expr`` is not well-formed; return the metric names it selects."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        assert match is not None and match.end() > position, (
            f"cannot read {expr[position : position + 20]!r} in {expr!r}"
        )
        position = match.end()
        if match.lastgroup:
            tokens.append((match.lastgroup, match.group(match.lastgroup)))
    stack: list[str] = []
    names: set[str] = set()
    grouping_depth: int | None = None  # inside by (…), on (…): label names, not metrics
    for index, (kind, text) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if text in "([{":
            stack.append(text)
            continue
        if text in _PAIRS:
            assert stack and stack.pop() == _PAIRS[text], f"unbalanced {text!r} in {expr!r}"
            if grouping_depth is not None and len(stack) < grouping_depth:
                grouping_depth = None
            continue
        if kind == "duration":
            assert stack and stack[-1] == "[", f"duration {text!r} outside a range in {expr!r}"
        elif stack and stack[-1] == "[":
            assert text == ":", f"{text!r} is not a range duration in {expr!r}"
        if kind != "ident" or (stack and stack[-1] == "{") or grouping_depth is not None:
            continue
        if text in _KEYWORDS:
            if text in {"by", "without", "on", "ignoring", "group_left", "group_right"} and following == "(":
                grouping_depth = len(stack) + 1
            continue
        if following == "(":
            assert text in _FUNCTIONS | _AGGREGATIONS, f"unknown function {text!r} in {expr!r}"
            continue
        if text in _AGGREGATIONS and following in {"by", "without"}:
            continue
        names.add(text)
    assert not stack, f"unclosed {stack!r} in {expr!r}"
    return names


def _rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@app.task(name="tests.observability.works")
def _works() -> str:
    return "done"


@pytest.fixture
def served_names(client, settings, transactional_db) -> set[str]:
    """The sample names of /metrics after traffic of every kind: a request, a task, a solver run, deliveries."""
    ratelimit.reset()
    client.get("/healthz")
    _works.apply()
    with metrics.solver_run("observability-check"):
        pass
    with FakeTelegramAPI(token=TOKEN) as fake:
        settings.TELEGRAM_API_URL = fake.url
        settings.TELEGRAM_BOT_TOKEN = TOKEN
        with transaction.atomic():
            for fields in ({"telegram_id": 9_300_001}, {}):
                account_id = factories.person(profile=False, account_fields=fields)
                delivery.enqueue(account_id=account_id, channel="telegram", text="hi", event_type="x.y")
        delivery.deliver_due()
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        sample.name for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples
    }


def test_rule_file_has_the_prometheus_structure():
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    assert set(document) == {"groups"}
    assert document["groups"], "no rule group"
    alerts = []
    for group in document["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"} and group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
            assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"]), rule["alert"]
            assert re.fullmatch(r"(\d+[smhdwy])+", rule["for"]), rule["for"]
            assert rule["labels"].get("severity") in {"page", "ticket"}, rule
            assert {"summary", "description"} <= set(rule["annotations"]), rule
            alerts.append(rule["alert"])
    assert len(alerts) == len(set(alerts)), "alert names repeat"


def test_the_slo_alerts_of_design_section_9_are_there():
    by_name = {rule["alert"]: " ".join(rule["expr"].split()) for rule in _rules()}
    assert "> 0.5" in by_name["UkbotApiLatencyP95High"]  # Requests API p95 < 500 ms
    assert "histogram_quantile(0.95," in by_name["UkbotApiLatencyP95High"]
    assert "ukbot_event_bus_lag_seconds) > 60" in by_name["UkbotEventBusLagging"]
    assert "< 0.99" in by_name["UkbotNotificationDeliveryBelowSlo"]  # notifications > 99 % delivered
    assert 'ukbot_event_deliveries{status="dead"}) > 0' in by_name["UkbotEventDeadLetters"]
    assert 'outcome="failure"' in by_name["UkbotCeleryTaskFailures"]


def test_dashboard_is_grafana_json_with_a_query_on_every_panel():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["type"] and panel["gridPos"]["w"] <= 24
        assert panel["targets"] and all(target["expr"].strip() for target in panel["targets"])


@pytest.mark.parametrize(
    "bad",
    [
        "sum(rate(ukbot_http_requests_total[5m])",
        'ukbot_event_deliveries{status="dead"',
        'ukbot_event_deliveries{status="dead}',
        "rate(ukbot_http_requests_total[5 minutes])",
        "sum(rtae(ukbot_http_requests_total[5m]))",
        "sum(ukbot_http_requests_total]",
    ],
)
def test_the_promql_check_refuses_malformed_expressions(bad):
    with pytest.raises(AssertionError):
        _check_promql(bad)


def test_the_promql_check_collects_metric_names_not_labels_or_functions():
    expr = (
        "histogram_quantile(0.95, sum by (le, route) "
        '(rate(ukbot_http_request_duration_seconds_bucket{route=~"/a"}[5m])))'
        " / on (route) group_left sum without (status) (ukbot_http_requests_total) or vector(0)"
    )
    assert _check_promql(expr) == {"ukbot_http_request_duration_seconds_bucket", "ukbot_http_requests_total"}


def test_every_expression_is_promql_on_metrics_that_metrics_serves(served_names):
    expressions = [rule["expr"] for rule in _rules()] + _dashboard_exprs()
    referenced: set[str] = set()
    for expr in expressions:
        referenced |= _check_promql(expr)
    assert referenced, "no metric referenced"
    missing = referenced - served_names
    assert not missing, f"referenced but not served by /metrics: {sorted(missing)}"
    # and every metric family of issue 16 is charted on the dashboard
    charted = set().union(*(_check_promql(expr) for expr in _dashboard_exprs()))
    for family in (
        "ukbot_http_request_duration_seconds_bucket",
        "ukbot_event_bus_lag_seconds",
        "ukbot_event_deliveries",
        "ukbot_notifications_queue",
        "ukbot_notification_failures_total",
        "ukbot_celery_tasks_total",
        "ukbot_solver_runs_total",
        "ukbot_solver_run_duration_seconds_bucket",
    ):
        assert family in charted, family
