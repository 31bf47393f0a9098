"""The speed-ups on private framework internals (``core.api.fast``, ``core.db.fast``) run only on the framework
releases they were checked against, and each gives what the framework's own path gives.

An upgrade fails here first: a minor version nobody has checked, a pin in pyproject.toml that lets one in, or a
change to framework code a trick copies. The comparisons of each trick with the framework's path live beside its
other tests and are named in the fast modules' docstrings; those here have no other home.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import re
import textwrap
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from packaging.requirements import Requirement
from packaging.version import Version
from rest_framework import serializers
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.utils import get_md5_hash_password

from ukbot.core.api import fast as api_fast
from ukbot.core.db import fast as db_fast
from ukbot.core.db.fast import _converters

ROOT = Path(__file__).resolve().parents[3]
MODULES = {"ukbot/core/api/fast.py": api_fast, "ukbot/core/db/fast.py": db_fast}


def _minor(version: str) -> tuple[int, int]:
    release = Version(version).release
    return release[0], release[1] if len(release) > 1 else 0


def _checked() -> dict[str, str]:
    """Every framework a fast module was checked against, with the release; the modules must agree."""
    checked: dict[str, str] = {}
    for module in MODULES.values():
        for name, version in module.CHECKED_AGAINST.items():
            assert checked.setdefault(name, version) == version, f"the fast modules disagree on {name}'s version"
    return checked


def test_the_installed_frameworks_are_the_minor_versions_the_fast_paths_were_checked_against():
    for path, module in MODULES.items():
        for name, version in module.CHECKED_AGAINST.items():
            installed = importlib.metadata.version(name)
            assert _minor(installed) == _minor(version), (
                f"{name} {installed} is installed, but {path} was checked against {version}. Re-read the private "
                f"{name} APIs its docstring lists for each trick, run the comparisons it names and this file, then "
                f"update CHECKED_AGAINST (and FRAMEWORK_CODE) there and the pin of {name} in pyproject.toml."
            )


def test_the_pins_in_pyproject_admit_only_the_checked_minor_versions():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = {}
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        pins[requirement.name.lower()] = requirement.specifier
    for name, version in _checked().items():
        major, minor = _minor(version)
        pin = pins[name]
        assert Version(version) in pin, f"pyproject.toml's {name}{pin} excludes the checked {version}"
        assert Version(f"{major}.{minor + 1}") not in pin, (
            f"pyproject.toml's {name}{pin} admits {major}.{minor + 1}, which the fast paths were not checked against"
        )
        if minor:
            assert Version(f"{major}.{minor - 1}.9999") not in pin, f"pyproject.toml's {name}{pin} admits older minors"
        else:
            assert Version(f"{major - 1}.9999") not in pin, f"pyproject.toml's {name}{pin} admits older majors"


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        break
    for part in parts[cut:]:
        attribute = inspect.getattr_static(target, part)
        target = attribute.fget if isinstance(attribute, property) else getattr(target, part)
    return target


def fingerprint(dotted: str) -> str:
    """The fingerprint of a framework function's source, as the fast modules' FRAMEWORK_CODE records it."""
    source = textwrap.dedent(inspect.getsource(_resolve(dotted)))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    ("path", "dotted"), [(path, dotted) for path, module in MODULES.items() for dotted in module.FRAMEWORK_CODE]
)
def test_the_framework_code_a_fast_path_relies_on_is_the_code_it_was_checked_against(path, dotted):
    recorded, now = MODULES[path].FRAMEWORK_CODE[dotted], fingerprint(dotted)
    assert now == recorded, (
        f"{dotted} has changed since {path} was checked against it (fingerprint {recorded}, now {now}). Read the "
        "new code beside the trick that copies or hooks into it (see that module's docstring), fix the trick if it "
        "no longer matches, run the comparisons the docstring names, then record the new fingerprint."
    )


def test_every_check_named_in_the_fast_modules_exists():
    names = set()
    for path in MODULES:
        names |= set(re.findall(r"``(test_\w+)``", (ROOT / path).read_text()))
    sources = [p for base in ("ukbot", "tests") for p in (ROOT / base).rglob("test_*.py")]
    files = {p.stem for p in sources}
    text = "\n".join(p.read_text() for p in sources)
    missing = sorted(n for n in names if n not in files and not re.search(rf"^\s*def {n}\(", text, re.MULTILINE))
    assert len(names) > 10 and not missing, f"the fast modules name checks that do not exist: {missing}"


# --- core.db.fast ---------------------------------------------------------------------------------------------


def test_from_row_converts_every_model_as_the_compiler_does():
    for model in apps.get_models():
        # given the ORM's compiler for a plain queryset of the model
        compiler = model._base_manager.all().query.get_compiler(connection=connection)
        compiler.setup_query()
        columns = [column for column, _sql, _alias in compiler.select]

        # then it selects the concrete fields in select_list's order, and converts them as from_row does
        assert [column.target for column in columns] == list(model._meta.concrete_fields), model
        expected = {index: tuple(found) for index, (found, _column) in compiler.get_converters(columns).items()}
        assert {index: found for index, _field, found in _converters(model, connection)} == expected, model


# --- core.api.fast --------------------------------------------------------------------------------------------

TIMES = [
    datetime(2026, 11, 25, 18, 23, 45, 123456, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 30, tzinfo=timezone.get_fixed_timezone(300)),
    datetime(2026, 11, 25, 18, 23, 45),  # naive
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    None,
]


def _outcome(function, value):
    try:
        return "value", function(value)
    except Exception as error:  # the error, if any, is the outcome compared
        return "error", type(error), str(error)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tashkent", "America/St_Johns", "Pacific/Kiritimati"])
def test_datetimes_in_matches_drf(zone):
    with timezone.override(zone):
        fast, field = api_fast.datetimes_in(timezone.get_current_timezone()), serializers.DateTimeField()
        for value in TIMES:
            assert _outcome(fast, value) == _outcome(field.to_representation, value), (zone, value)


@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DATETIME_FORMAT": "%d.%m.%Y %H:%M"})
def test_datetimes_in_takes_drfs_path_for_another_format():
    with timezone.override("UTC"):
        fast, field = api_fast.datetimes_in(UTC), serializers.DateTimeField()

        assert [_outcome(fast, value) for value in TIMES] == [_outcome(field.to_representation, v) for v in TIMES]
        assert fast(TIMES[0]) == "25.11.2026 18:23"


class _Line(serializers.Serializer):
    sku = serializers.CharField(max_length=5)
    qty = serializers.IntegerField(min_value=1, required=False)


class _Deep(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["a", "b"])
    note = serializers.CharField(max_length=3, required=False, allow_blank=True)
    when = serializers.DateTimeField(required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    lines = _Line(many=True, required=False)
    address = _Line(required=False)

    def validate(self, attrs):
        if attrs.get("note") == "no":
            raise serializers.ValidationError("No.")
        return attrs


class _Shallow(_Deep):
    def get_fields(self):
        return api_fast.declared_fields_copy(self)


INPUTS = [
    {"kind": "a"},
    {"kind": "c", "note": "toolong", "tags": ["abc", 1], "lines": [{"sku": "toolong", "qty": 0}]},
    {"kind": "b", "note": "", "when": "2026-01-02T03:04:05+05:00", "lines": [{"sku": "x1"}], "address": {"sku": 7}},
    {"kind": "b", "when": "yesterday", "address": "nowhere", "lines": "none"},
    {"kind": "a", "note": "no"},
    {},
]


def test_shallow_fields_validate_as_deep_copied_ones():
    for data in INPUTS * 2:  # twice: a shared field must not keep anything from the previous instance
        deep, shallow = _Deep(data=data), _Shallow(data=data)

        assert deep.is_valid() == shallow.is_valid(), data
        assert deep.errors == shallow.errors, data
        if deep.errors:
            assert _codes(deep.errors) == _codes(shallow.errors), data
        else:
            assert deep.validated_data == shallow.validated_data, data


def _codes(errors):
    return serializers.ValidationError(errors).get_codes()


def _jwt_outcome(get_user, token):
    try:
        return "user", get_user(token).pk
    except AuthenticationFailed as error:
        return "refused", type(error), error.detail


def _ours(token):
    user_id = api_fast.token_user_id(token)
    return api_fast.check_token_user(get_user_model().objects.filter(pk=user_id).first(), token)


@pytest.mark.django_db
@pytest.mark.parametrize("check_revoke", [False, True])
def test_token_user_checks_match_simplejwt(check_revoke):
    # given an active and an inactive account, and tokens naming each, nobody, or no one at all
    model = get_user_model()
    active = model.objects.create_user(username="fast-active", password="s3cret-1")
    inactive = model.objects.create_user(username="fast-inactive", password="s3cret-2", is_active=False)
    claim = settings.SIMPLE_JWT["USER_ID_CLAIM"]
    good, stale = get_md5_hash_password(active.password), get_md5_hash_password("an old password")
    tokens = [
        {claim: active.pk, "hash_password": good},
        {claim: active.pk, "hash_password": stale},
        {claim: active.pk},
        {claim: inactive.pk, "hash_password": get_md5_hash_password(inactive.password)},
        {claim: inactive.pk + active.pk + 1000},
        {"user_id": active.pk},
    ]
    with override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, "CHECK_REVOKE_TOKEN": check_revoke}):
        simplejwt = JWTAuthentication()
        for token in tokens:
            # then each is accepted or refused as simplejwt's own get_user decides, with its message and code
            assert _jwt_outcome(_ours, token) == _jwt_outcome(simplejwt.get_user, token), token
    assert _jwt_outcome(_ours, tokens[0]) == ("user", active.pk)


def test_the_token_checks_assume_simplejwts_id_field_is_the_primary_key():
    # auth.selectors.account_and_session looks the account up by its primary key, as simplejwt by USER_ID_FIELD
    assert settings.SIMPLE_JWT.get("USER_ID_FIELD", "id") == get_user_model()._meta.pk.name
