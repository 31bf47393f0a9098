"""docker-compose.yml, the Dockerfile and the Procfile stay in step with the code.

No Docker engine runs these tests: they read the files, check every command against what really exists (Django
management commands, the Celery app and its sub-commands, the WSGI module, gunicorn's options), check every
environment variable against what the project reads, and run the image's build step, web command and health
check on this machine.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from celery import Celery
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import resolve
from gunicorn.config import Config as GunicornConfig

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
APP_SERVICES = {"migrate", "web", "worker", "beat", "bot"}
IMAGE_METRICS_DIR = "/tmp/ukbot-metrics"  # noqa: S108 - the path inside the image; tests swap in tmp_path

# Variables that compose or the Dockerfile set for programs other than ours, with who reads each.
THIRD_PARTY = {
    "POSTGRES_DB": "the postgres image",
    "POSTGRES_USER": "the postgres image",
    "POSTGRES_PASSWORD": "the postgres image",
    "MINIO_ROOT_USER": "the minio image (and the bucket job's mc)",
    "MINIO_ROOT_PASSWORD": "the minio image (and the bucket job's mc)",
    "PATH": "the shell",
    "PYTHONPATH": "Python",
    "PYTHONUNBUFFERED": "Python",
    "PYTHONDONTWRITEBYTECODE": "Python",
    "PIP_NO_CACHE_DIR": "pip",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip",
    "DJANGO_SETTINGS_MODULE": "Django",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_client",
    "PG_CLIENT_MAJOR": "the image build (which PostgreSQL client tools it installs)",
    "VERSION_CODENAME": "the base image's /etc/os-release",
}
# Read by our code, but owned by the system or Django rather than settings an operator chooses: not in README.
NOT_SETTINGS = {"PATH", "XDG_RUNTIME_DIR", "DJANGO_SETTINGS_MODULE"}

_NAME = r"[A-Z_][A-Z0-9_]*"
_INTERPOLATION = re.compile(r"\$\{(" + _NAME + r")(?:(:?[-?])([^}]*))?\}|\$(" + _NAME + r")")


# --- reading the files ----------------------------------------------------------------------------------------
def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _dockerfile_args(keyword: str) -> list[str]:
    return [arguments for kw, arguments in _dockerfile() if kw == keyword]


def _image_command() -> list[str]:
    (cmd,) = _dockerfile_args("CMD")
    return json.loads(cmd)


def _healthcheck_command() -> list[str]:
    (healthcheck,) = _dockerfile_args("HEALTHCHECK")
    return json.loads(healthcheck[healthcheck.index("CMD ") + len("CMD ") :])


def _collectstatic_step() -> str:
    (step,) = [run for run in _dockerfile_args("RUN") if "collectstatic" in run]
    return step


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Expand ``$NAME``, ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` as compose and sh do."""

    def expand(match: re.Match) -> str:
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3)
        present = env.get(name)
        if operator and operator.startswith(":") and not present:
            present = None
        if present is not None:
            return present
        if operator and operator.endswith("-"):
            return word
        raise KeyError(f"{name} is required: {word}" if operator else name)

    return _INTERPOLATION.sub(expand, value.replace("$$", "\0")).replace("\0", "$")


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [*_strings(key), *_strings(value)]]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def _service_command(name: str) -> list[str]:
    command = SERVICES[name].get("command")
    if command is None:
        return _image_command()
    return shlex.split(command) if isinstance(command, str) else list(command)


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


# --- what the project reads -----------------------------------------------------------------------------------
def _settings_reads() -> set[str]:
    text = (ROOT / "ukbot" / "settings.py").read_text()
    return set(re.findall(r"env_(?:str|bool|int|list|parsed)\(\s*\"(" + _NAME + r")\"", text))


def _code_reads() -> set[str]:
    """Names our code (tests aside) reads with os.environ / os.getenv."""
    files = [ROOT / "manage.py", *ROOT.glob("ukbot/**/*.py"), *ROOT.glob("bot/**/*.py")]
    pattern = re.compile(r"os\.(?:environ\.get\(|environ\[|environ\.setdefault\(|getenv\()\s*[\"'](" + _NAME + ")")
    names = set()
    for path in files:
        if "tests" not in path.relative_to(ROOT).parts:
            names |= set(pattern.findall(path.read_text()))
    return names


def _procfile_reads() -> set[str]:
    return {m.group(1) or m.group(4) for line in _procfile().values() for m in _INTERPOLATION.finditer(line)}


def _project_reads() -> set[str]:
    return _settings_reads() | _code_reads() | _procfile_reads()


def _compose_names() -> set[str]:
    """Every variable compose sets in a container or interpolates from the host."""
    names = set()
    for service in SERVICES.values():
        names |= set(service.get("environment", {}))
    for text in _strings(COMPOSE):
        names |= {m.group(1) or m.group(4) for m in _INTERPOLATION.finditer(text)}
    return names


def _dockerfile_names() -> set[str]:
    names = set()
    for keyword, arguments in _dockerfile():
        if keyword == "ENV":
            names |= {pair.split("=", 1)[0] for pair in arguments.split()}
        if keyword in {"RUN", "CMD", "HEALTHCHECK"}:
            names |= set(re.findall(r"(?:^|[\s\"])(?:export )?(" + _NAME + r")=", arguments))
            names |= set(re.findall(r"environ\.get\('(" + _NAME + r")'", arguments))
        names |= {m.group(1) or m.group(4) for m in _INTERPOLATION.finditer(arguments)}
    return names


# --- checking a command line ------------------------------------------------------------------------------------
def _segments(argv: list[str], env: dict[str, str]) -> list[list[str]]:
    """The programs a command runs: itself, or each ``&&``-joined part of an ``sh -c`` script."""
    if argv[:2] not in (["sh", "-c"], ["/bin/sh", "-c"]):
        return [[_interpolate(arg, env) for arg in argv]]
    env, parts = dict(env), []
    for part in argv[2].split("&&"):
        words = shlex.split(_interpolate(part, env))
        words = words[1:] if words[0] == "exec" else words
        if words[0] == "export":
            env.update(assignment.split("=", 1) for assignment in words[1:])
        parts.append(words)
    return parts


def _check_program(argv: list[str]) -> str:
    """Assert that one program line refers only to things that exist; return what it runs, for messages."""
    program, args = argv[0], argv[1:]
    if program == "gunicorn":
        options = GunicornConfig().parser().parse_args(args)  # exits (fails the test) on an unknown option
        (target,) = options.args
        module_name, _, attribute = target.partition(":")
        assert callable(getattr(importlib.import_module(module_name), attribute or "application"))
        return f"gunicorn {target}"
    if program == "celery":
        assert args[:2] == ["-A", "ukbot"], argv
        assert isinstance(importlib.import_module("ukbot").celery_app, Celery)
        # Celery parses the options (and loads the app) before it looks at --help: a bad option exits 2.
        finished = subprocess.run(
            [str(BIN / "celery"), *args, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert finished.returncode == 0, finished.stderr
        return f"celery {args[2]}"
    if program in {"python", "python3"} and args[:1] == ["manage.py"]:
        name, *rest = args[1:]
        assert name in get_commands(), f"no management command {name!r}"
        command = load_command_class(get_commands()[name], name)
        command.create_parser("manage.py", name).parse_args(rest)  # raises CommandError on bad arguments
        return f"manage.py {name}"
    if program in {"export", "rm", "mkdir"}:
        return program
    raise AssertionError(f"unexpected program {program!r} in {argv}")


def _check(argv: list[str], env: dict[str, str] | None = None) -> list[str]:
    return [_check_program(part) for part in _segments(argv, env or {})]


# --- the Dockerfile ---------------------------------------------------------------------------------------------
def test_dockerfile_is_multi_stage_with_a_python_311_slim_runtime():
    stages = _dockerfile_args("FROM")
    assert stages == ["python:3.11-slim AS builder", "python:3.11-slim AS runtime"]
    assert "--from=builder /opt/venv /opt/venv" in _dockerfile_args("COPY")


def test_dockerfile_runs_as_a_non_root_user_created_in_the_image():
    users = _dockerfile_args("USER")
    assert users == ["ukbot"]
    assert any("useradd" in run and run.rstrip().endswith(" ukbot") for run in _dockerfile_args("RUN"))
    # nothing after USER runs as root again
    keywords = [keyword for keyword, _ in _dockerfile()]
    assert "RUN" not in keywords[keywords.index("USER") :]


def test_dockerfile_exposes_8000_and_its_healthcheck_probes_healthz():
    assert _dockerfile_args("EXPOSE") == ["8000"]
    probe = _healthcheck_command()
    assert probe[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in probe[2]
    assert resolve("/healthz").url_name == "healthz"


def test_dockerfile_command_and_build_step_refer_to_what_exists():
    assert _check(_image_command(), {"WEB_WORKERS": "3"}) == ["export", "rm", "mkdir", "gunicorn ukbot.wsgi"]
    assert _check(shlex.split(_collectstatic_step())[-4:]) == ["manage.py collectstatic"]


def test_the_image_ships_the_postgresql_client_of_the_compose_server_for_backups():
    # pg_dump refuses a newer server, and a newer pg_dump's archive sets what an older server rejects on restore
    (major,) = [arg.split("=", 1)[1] for arg in _dockerfile_args("ARG") if arg.startswith("PG_CLIENT_MAJOR=")]
    assert SERVICES["postgres"]["image"] == f"postgres:{major}"
    installs = [run for run in _dockerfile_args("RUN") if "postgresql-client-${PG_CLIENT_MAJOR}" in run]
    assert len(installs) == 1
    # from the PostgreSQL project's repository, with its key, and no package lists left in the layer
    assert "apt.postgresql.org/pub/repos/apt" in installs[0] and "signed-by=" in installs[0]
    assert installs[0].rstrip().endswith("rm -rf /var/lib/apt/lists/*")
    # installed while still root, before the image switches to its user
    keywords = [keyword for keyword, _ in _dockerfile()]
    assert keywords.index("ARG") < keywords.index("USER")


def test_build_context_lets_through_the_directories_the_code_reads():
    allowed = {
        line[1:].strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!") and "/" not in line[1:].strip("/")
    }
    read_dirs = [*settings.LOCALE_PATHS, *(d for t in settings.TEMPLATES for d in t["DIRS"])]
    needed = {Path(d).relative_to(ROOT).parts[0] for d in read_dirs} | {"ukbot", "bot", "manage.py"}
    assert needed <= allowed


def test_the_image_build_step_collects_static_files(tmp_path):
    # given the Dockerfile's collectstatic step, run by sh as docker would, writing into a scratch STATIC_ROOT
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static")}
    step = _collectstatic_step()
    finished = subprocess.run(["sh", "-c", step], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    # then it succeeds and leaves whitenoise's manifest and the admin's files
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert (tmp_path / "static" / "admin" / "css" / "base.css").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_image_command_serves_and_its_healthcheck_passes(tmp_path):
    # given the image's command and health check, moved to a free port and a scratch metrics directory
    port = _free_port()

    def local(argv: list[str]) -> list[str]:
        return [
            arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}")
            .replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            .replace(IMAGE_METRICS_DIR, str(tmp_path / "metrics"))
            for arg in argv
        ]

    env = {
        # /healthz touches no dependency: point the server at nothing, so it cannot touch shared databases
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nothing",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),  # gunicorn's control socket goes under it
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": ".ukbot.example.com,localhost",
        "STATIC_ROOT": str(tmp_path / "static"),
        "WEB_WORKERS": "2",
    }
    server = subprocess.Popen(
        local(_image_command()), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        probe = None
        while time.monotonic() < deadline and server.poll() is None:
            # when the health check runs as docker runs it (same environment as the server)
            probe = subprocess.run(local(_healthcheck_command()), env=env, capture_output=True, text=True, timeout=30)
            if probe.returncode == 0:
                break
            time.sleep(0.5)
        # then it passes, although 127.0.0.1 is not in ALLOWED_HOSTS (the probe names an allowed host)
        assert probe is not None and probe.returncode == 0, probe.stderr if probe else "server exited"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output


def test_the_image_command_stops_at_once_on_a_configuration_error(tmp_path):
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "DJANGO_DEBUG": "0", "SECRET_KEY": "s" * 50}
    argv = [arg.replace(IMAGE_METRICS_DIR, str(tmp_path / "metrics")) for arg in _image_command()]
    finished = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2
    assert finished.stderr.splitlines() == [
        "ukbot: configuration error: ALLOWED_HOSTS: required when DJANGO_DEBUG is off (comma-separated host names)"
    ]


# --- docker-compose.yml ---------------------------------------------------------------------------------------
def test_compose_has_the_services_on_the_expected_images():
    assert set(SERVICES) == {"postgres", "redis", "minio", "minio-init", *APP_SERVICES}
    assert SERVICES["postgres"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"] == "redis:7"
    assert SERVICES["minio"]["image"].startswith("minio/minio:RELEASE.")
    assert SERVICES["minio-init"]["image"].startswith("minio/mc:RELEASE.")
    for name in APP_SERVICES:
        assert (SERVICES[name]["build"], SERVICES[name]["image"]) == (".", "ukbot:latest"), name


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_compose_app_commands_refer_to_what_exists(name):
    expected = {
        "migrate": ["manage.py migrate", "manage.py ensure_admin"],
        "web": ["export", "rm", "mkdir", "gunicorn ukbot.wsgi"],
        "worker": ["celery worker"],
        "beat": ["celery beat"],
        "bot": ["manage.py runbot"],
    }
    assert _check(_service_command(name), {"WEB_WORKERS": "3"}) == expected[name]


def test_compose_starts_app_processes_after_migrations_and_only_the_bot_under_a_profile():
    for name in APP_SERVICES - {"migrate"}:
        depends_on = SERVICES[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends_on["postgres"] == depends_on["redis"] == {"condition": "service_healthy"}, name
    assert SERVICES["migrate"]["restart"] == SERVICES["minio-init"]["restart"] == "no"
    assert SERVICES["web"]["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}
    assert {name for name, service in SERVICES.items() if "profiles" in service} == {"bot"}
    assert SERVICES["bot"]["profiles"] == ["bot"]


def test_compose_keeps_the_web_healthcheck_and_disables_it_where_nothing_serves_http():
    assert "healthcheck" not in SERVICES["web"]  # the image's HEALTHCHECK applies
    for name in APP_SERVICES - {"web"}:
        assert SERVICES[name]["healthcheck"] == {"disable": True}, name


def test_compose_takes_secrets_only_from_the_environment():
    secret = re.compile(r"SECRET|PASSWORD|TOKEN|ACCESS_KEY")
    for name, service in SERVICES.items():
        for key, value in service.get("environment", {}).items():
            if secret.search(key):
                assert re.fullmatch(r"\$\{" + _NAME + r":[-?][^}]*\}", value), f"{name}.{key} = {value!r}"
    # the secrets without which nothing should start are required wherever they are used, URLs included
    uses: dict[str, set[str | None]] = {}
    for text in _strings(COMPOSE):
        for match in _INTERPOLATION.finditer(text.replace("$$", "")):  # $$ is the container's, not compose's
            uses.setdefault(match.group(1) or match.group(4), set()).add(match.group(2))
    assert {name: uses[name] for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD")} == {
        "SECRET_KEY": {":?"},
        "POSTGRES_PASSWORD": {":?"},
        "MINIO_ROOT_PASSWORD": {":?"},
    }


def _compose_env(name: str) -> dict[str, str]:
    host = {"SECRET_KEY": "c" * 50, "POSTGRES_PASSWORD": "pg-secret", "MINIO_ROOT_PASSWORD": "minio-secret"}
    return {key: _interpolate(str(value), host) for key, value in SERVICES[name]["environment"].items()}


def test_compose_urls_point_at_compose_services():
    env = _compose_env("web")
    assert env["DATABASE_URL"] == "postgres://ukbot:pg-secret@postgres:5432/ukbot"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AWS_SECRET_ACCESS_KEY"] == "minio-secret"
    assert env["AWS_ACCESS_KEY_ID"] == _interpolate(SERVICES["minio"]["environment"]["MINIO_ROOT_USER"], {})
    assert env["AWS_STORAGE_BUCKET_NAME"] == "ukbot-media"


def test_the_compose_environment_passes_the_settings_check(tmp_path):
    # given web's environment as compose would hand it over with the host's secrets set
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **_compose_env("web")}
    # when Django loads it, then every setting is accepted
    finished = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert (finished.returncode, finished.stderr) == (0, "")


# --- Procfile (make run) --------------------------------------------------------------------------------------
def test_procfile_commands_refer_to_what_exists():
    checked = {name: _check(shlex.split(line)) for name, line in _procfile().items()}
    assert checked == {
        "web": ["gunicorn ukbot.wsgi"],
        "worker": ["celery worker"],
        "beat": ["celery beat"],
        "bot": ["manage.py runbot"],
    }


# --- environment variable names -------------------------------------------------------------------------------
def test_the_scan_finds_the_variables_we_know_the_project_reads():
    assert {"DATABASE_URL", "LOG_LEVEL", "SECRET_KEY", "TELEGRAM_API_URL"} <= _settings_reads()
    assert {"DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "UKBOT_VAR_DIR"} <= _code_reads()
    assert {"WEB_WORKERS", "WORKER_CONCURRENCY"} <= _procfile_reads()


def test_every_variable_in_compose_is_read_by_the_project_or_a_named_third_party():
    assert _compose_names() - _project_reads() - set(THIRD_PARTY) == set()


def test_every_variable_in_the_dockerfile_is_read_by_the_project_or_a_named_third_party():
    assert _dockerfile_names() - _project_reads() - set(THIRD_PARTY) == set()


def test_the_third_party_allowlist_has_no_stale_names():
    assert set(THIRD_PARTY) - _compose_names() - _dockerfile_names() == set()


def _readme_settings_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`(" + _NAME + r")`\s*\|", section, flags=re.MULTILINE))


def test_readme_settings_table_documents_exactly_the_variables_the_project_reads():
    documented = _readme_settings_table()
    read = _project_reads() - NOT_SETTINGS
    assert read - documented == set(), "read by the code but missing from README's settings table"
    assert documented - read == set(), "in README's settings table but read by nothing"
