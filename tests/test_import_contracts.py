"""The import-linter contracts catch what they exist to catch: each test breaks one rule in a scratch copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _scratch_tree(tmp_path: Path) -> Path:
    for package in ("ukbot", "bot"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_the_real_tree_keeps_every_contract(tmp_path):
    result = _lint(_scratch_tree(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("path", "source", "broken_contract"),
    [
        (
            "ukbot/users/services/scratch.py",
            "from ukbot.requests import models\n",
            "The nine domain apps are independent",
        ),
        (
            "ukbot/users/services/scratch.py",
            "from ukbot.requests import selectors\n",
            "The nine domain apps are independent",
        ),
        ("ukbot/core/helpers.py", "from ukbot.users import public\n", "The shared kernel imports no app"),
        ("bot/handlers_scratch.py", "from ukbot.auth import models\n", "never models"),
        ("bot/handlers_scratch.py", "from django.db import transaction\n", "django.db stays out of the bot"),
        ("bot/handlers/scratch.py", "from django.db.models import Q\n", "django.db stays out of the bot"),
        ("ukbot/requests/notify.py", "import aiogram\n", "aiogram stays in the bot"),
        ("ukbot/core/helpers.py", "import bot\n", "bot sits above the apps"),
        ("ukbot/scratch.py", "from ukbot.media import models\n", "media's models are imported only inside media"),
        ("ukbot/scratch.py", "from ukbot.shifts import models\n", "shifts' models are imported only inside shifts"),
        (
            "ukbot/requests/selectors/scratch.py",
            "from ukbot.requests import services\n",
            "Inside each app the entry points sit above services",
        ),
        (
            "ukbot/notifications/models.py",
            "from ukbot.notifications import selectors\n",
            "Inside each app the entry points sit above services",
        ),
    ],
)
def test_a_broken_rule_is_reported(tmp_path, path, source, broken_contract):
    tree = _scratch_tree(tmp_path)
    (tree / path).write_text(source)
    result = _lint(tree)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert broken_contract in broken, result.stdout
    # the door that is allowed stays open
    (tree / path).write_text("from ukbot.requests import events, public\n" if "users" in path else "")
    if "users" in path:
        assert _lint(tree).returncode == 0


def test_an_ignored_import_that_no_longer_happens_is_reported(tmp_path):
    # given an ignore_imports line that matches nothing (the import it excused is gone)
    tree = _scratch_tree(tmp_path)
    config = (tree / ".importlinter").read_text()
    stale = "    ukbot.media.services -> ukbot.media.tasks\n"
    assert stale in config
    (tree / ".importlinter").write_text(
        config.replace(stale, stale + "    ukbot.media.selectors -> ukbot.media.tasks\n")
    )
    # then the linter fails instead of keeping the debt quietly
    result = _lint(tree)
    assert result.returncode != 0
    assert "ukbot.media.selectors -> ukbot.media.tasks" in result.stdout


def test_the_bots_database_thread_may_import_django_db_and_its_handlers_other_django(tmp_path):
    # given the bot's database thread importing more of django.db, and a handler importing Django outside it and
    # an app's services (which use the ORM themselves)
    tree = _scratch_tree(tmp_path)
    sync = tree / "bot/sync.py"
    sync.write_text(sync.read_text() + "from django.db import connections  # noqa: E402\n")
    handler = tree / "bot/handlers/scratch.py"
    handler.write_text("from django.utils import timezone\nfrom ukbot.requests import services\n")
    # then every contract is kept: only a direct import of django.db elsewhere in the bot breaks one
    result = _lint(tree)
    assert result.returncode == 0, result.stdout
