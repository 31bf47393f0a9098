"""The API against its own OpenAPI document: schemathesis fuzzes every operation of the served schema, as each
role and without a token, on the real server (gunicorn on the test database), and every answer must keep the
document's promises: no server error, a documented status, content type, body and headers, and (in negative mode)
input the document refuses is refused. Bounded per operation and role so the module stays a few minutes on two
cores (decision 0026); ``SCHEMATHESIS_EXAMPLES`` raises the bound for a long local run.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import redis
import requests
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import person
from tests.processes import UNTHROTTLED, Gunicorn
from ukbot.auth import services as auth
from ukbot.requests import services as requests_services
from ukbot.users import services as users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))  # positive cases per operation and role
ONLY = os.environ.get("SCHEMATHESIS_ONLY", "")  # e.g. "GET /api/v1/requests": the operations whose label has it
NEGATIVE_EXAMPLES = max(1, EXAMPLES // 2)  # cases of input the document refuses, per operation and role
ROLES = ("manager", "executor", "applicant", "admin", None)  # None: no token at all
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]
# Operations that end what later cases stand on (the caller's session, password, account) run after all others;
# tokens are issued afresh for each operation, and the people the tokens belong to are never their targets.
LAST = ("/auth/logout", "/auth/password", "/forget", "/auth/sessions/{session_id}", "/auth/mfa/")


@dataclass
class World:
    """The people the tokens belong to, and real ids for the path parameters of positive cases."""

    callers: dict[str, int]
    path_ids: dict[str, object]
    counts: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # one example of each (operation, role, failure)


def _world() -> World:
    callers = {role: person(role) for role in ROLES if role}
    subject = person("applicant")  # the target of writes about "a person": never one of the callers
    yard = users.yard_create(name=f"Yard {uuid.uuid4().hex[:6]}")
    building = users.building_create(
        yard_id=yard.pk, address="Юнусабад-4, дом 12", latitude=Decimal("41.3575"), longitude=Decimal("69.287")
    )
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="1")
    link = users.apartment_link_request(account_id=subject, apartment_id=apartment.pk, relation="tenant")
    number = requests_services.request_create(
        applicant_id=callers["applicant"], category="plumbing", description="Течёт кран на кухне"
    ).number
    return World(
        callers=callers,
        path_ids={"account_id": subject, "building_id": building.pk, "link_id": link.pk, "number": number},
    )


def _token(account_id: int) -> str:
    account = get_user_model().objects.get(pk=account_id)
    return auth.session_open(account=account, ip=None, device="schemathesis", method="password").access


def _fuzz(operation, mode, headers, path_parameters, world: World, base_url: str, http: requests.Session, label):
    checks = POSITIVE_CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS
    strategy = operation.as_strategy(generation_mode=mode, headers=headers, path_parameters=path_parameters)

    @settings(
        max_examples=EXAMPLES if mode is GenerationMode.POSITIVE else NEGATIVE_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        database=None,
        derandomize=True,
        verbosity=Verbosity.quiet,
    )
    @given(case=strategy)
    def run(case):
        world.counts[mode.value] += 1
        response = case.call(base_url=base_url, session=http, timeout=60)
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # each failure is collected; the test fails once, listing all
            for failure in getattr(exc, "exceptions", [exc]):
                title = getattr(failure, "title", type(failure).__name__)
                world.failures.setdefault(
                    f"{label} {mode.value}: {title} ({response.status_code})",
                    f"{case.method} {case.formatted_path} query={case.query} body={case.body!r:.300}\n"
                    f"  -> {response.status_code} {response.text[:300]}\n  {str(failure)[:600]}",
                )

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        world.counts["nothing to break"] += 1  # no parameter or body the document could refuse


def _forget_sign_in_failures() -> None:
    # The fuzzer signs in with wrong passwords from 127.0.0.1, as every later test does: the lockout it earned in
    # the shared Redis would refuse their sign-ins (TOO_MANY_ATTEMPTS) for minutes.
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    for prefix in ("ukbot:login:", "ukbot:rate:"):
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)


def test_every_operation_keeps_the_documents_promises_for_every_role(tmp_path: Path):
    world = _world()
    server = Gunicorn(
        tmp_path / "gunicorn.log",
        API_DOCS_PUBLIC="1",
        TELEGRAM_BOT_TOKEN="123456:contract-test",  # sign-in with Telegram checks data instead of answering 503
        **UNTHROTTLED,  # no answer is a 429 of a throttle (decision 0026)
    )
    base_url = f"http://127.0.0.1:{server.port}"
    started = time.monotonic()
    try:
        schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/schema/?format=json", timeout=120)
        operations = [result.ok() for result in schema.get_all_operations()]
        operations = [op for op in operations if ONLY in op.label]
        operations.sort(key=lambda op: any(marker in op.path for marker in LAST))
        http = requests.Session()
        for operation in operations:
            tokens = {role: _token(account) for role, account in world.callers.items()}
            known = {p.name: world.path_ids[p.name] for p in operation.path_parameters if p.name in world.path_ids}
            for role in ROLES:
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
                label = f"{operation.label} as {role or 'anonymous'}"
                _fuzz(operation, GenerationMode.POSITIVE, headers, known or None, world, base_url, http, label)
                _fuzz(operation, GenerationMode.NEGATIVE, headers, None, world, base_url, http, label)
    finally:
        server.stop()
        _forget_sign_in_failures()
    elapsed = time.monotonic() - started
    cases = world.counts["positive"] + world.counts["negative"]
    print(  # the figures of decision 0026: `pytest -s` shows them
        f"\nschemathesis: {len(operations)} operations x {len(ROLES)} callers, {cases} cases ({dict(world.counts)}), "
        f"{elapsed:.0f}s, {len(world.failures)} failures"
    )
    assert ONLY or len(operations) > 50, "the served document lost its operations"
    (tmp_path / "failures.txt").write_text("\n\n".join(f"{key}\n{example}" for key, example in world.failures.items()))
    assert not world.failures, "\n\n".join(f"{key}\n{example}" for key, example in world.failures.items())
