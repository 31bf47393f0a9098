"""The OpenAPI document generates without a warning and says how to authenticate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_schema_generates_without_warnings_and_declares_bearer_auth(tmp_path):
    out = tmp_path / "schema.yml"
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    schema = yaml.safe_load(out.read_text())
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from /api/v1/auth/login, /auth/refresh, /auth/telegram or /auth/mfa/verify.",
    }
    assert schema["paths"]["/api/v1/users/me"]["get"]["security"][0] == {"bearerAuth": []}
    without_examples = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch")
        and operation.get("requestBody", {}).get("content", {}).get("application/json")
        and "examples" not in operation["requestBody"]["content"]["application/json"]
    ]
    assert without_examples == []  # every write with a body shows a client what to send
