"""`ukbot.devstack` on a fresh var/ directory: embedded servers start, are used, keep their data, and stop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, psycopg, redis
db = os.environ["DATABASE_URL"]
with psycopg.connect(db.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS probe (n int)")
    conn.execute("INSERT INTO probe VALUES (1)")
    rows = conn.execute("SELECT count(*) FROM probe").fetchone()[0]
r = redis.Redis.from_url(os.environ["REDIS_URL"])
r.incr("probe")
print("rows", rows, "incr", int(r.get("probe")), "debug", os.environ["DJANGO_DEBUG"])
"""


def _devstack(var: Path, *command: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}}
    env["UKBOT_VAR_DIR"] = str(var)
    return subprocess.run(
        [sys.executable, "-m", "ukbot.devstack", "exec", "--", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _server_processes(var: Path) -> str:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in ps.splitlines() if str(var) in line)


def test_embedded_servers_start_keep_data_and_stop(tmp_path):
    var = tmp_path / "var"
    # first run on an empty var/: both servers start and take writes
    first = _devstack(var, sys.executable, "-c", PROBE)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "rows 1 incr 1 debug 1" in first.stdout
    assert "embedded PostgreSQL" in first.stdout and "embedded Redis" in first.stdout
    # nothing is left running once the command is done
    assert _server_processes(var) == ""
    # second run: the data of the first is still there
    second = _devstack(var, sys.executable, "-c", PROBE)
    assert second.returncode == 0, second.stderr + second.stdout
    assert "rows 2 incr 2" in second.stdout
    assert _server_processes(var) == ""


def test_child_exit_status_is_passed_through(tmp_path):
    result = _devstack(tmp_path / "var", sys.executable, "-c", "raise SystemExit(7)")
    assert result.returncode == 7


def test_given_urls_are_used_and_no_server_is_started(tmp_path):
    env = {**os.environ, "UKBOT_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": "postgres://x@h/db"}
    env["REDIS_URL"] = "redis://127.0.0.1:6379/9"
    result = subprocess.run(
        [sys.executable, "-m", "ukbot.devstack", "exec", "--", "sh", "-c", 'echo "$DATABASE_URL $REDIS_URL"'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1] == "postgres://x@h/db redis://127.0.0.1:6379/9"
    assert not (tmp_path / "var" / "pgdata").exists()
