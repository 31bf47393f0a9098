"""`make loadtest` end to end, briefly: seeds its own database, starts gunicorn, runs locust for a few seconds
with a few users of each kind, prints the table and the summary line; nothing fails that the scenario does not
expect (loadtest/locustfile.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "loadtest" / "run.py")],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_short_run_prints_each_kind_of_user_and_a_summary_without_failures():
    done = _run(LOADTEST_SECONDS="6", LOADTEST_USERS="10")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    summary = re.fullmatch(r"loadtest: (\d+) req/s, p95 (\d+) ms, failures (\d+)", lines[-1])
    assert summary, done.stdout
    assert int(summary[1]) > 0 and int(summary[2]) > 0
    assert summary[3] == "0", done.stdout  # no unexpected answer, no refused sign-in
    rows = {}
    for line in lines:
        match = re.match(r"(\[\w+\] [A-Z]+ \S+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+\d+\s+\d+$", line)
        if match:
            rows[match[1]] = (int(match[2]), int(match[3]))
    for kind in ("resident", "executor", "dispatcher"):
        calls = {name: counts for name, counts in rows.items() if name.startswith(f"[{kind}] ")}
        assert f"[{kind}] POST /auth/login" in calls, done.stdout
        worked = [name for name in calls if not name.endswith(("/auth/login", "/users/me"))]
        assert worked, done.stdout  # signed in, then did some of its tasks
    # ids are grouped away: no endpoint name carries a request number or an account id
    assert not any(re.search(r"/\d|/[A-Z]{1,3}-?\d", name) for name in rows), rows


def test_bad_settings_are_refused_before_anything_starts():
    done = _run(LOADTEST_USERS="0")
    assert done.returncode == 2
    assert "must be positive" in done.stdout
    done = _run(LOADTEST_SECONDS="soon")
    assert done.returncode == 2
    assert "must be positive" in done.stdout
