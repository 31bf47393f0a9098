"""The type checker's ratchet: the modules below the bar are listed once, and the lists only shrink (decision 0018).

`[tool.mypy]` in pyproject.toml sets the bar (every function annotated, every body checked) and `make lint` runs
plain mypy with it. The modules that do not meet it yet are listed in two `[[tool.mypy.overrides]]` blocks:

- "untyped" (``disallow_untyped_defs = false``): may leave functions unannotated; everything else is checked;
- "errors" (``ignore_errors = true``): still have type errors, which mypy does not report.

This test runs mypy once with both lists taken out, so every module is held to the bar, and checks that each entry
still earns its place: it names a module that exists, that module still fails, and an "errors" entry has more
than missing annotations left. The number of entries is capped below; removing an entry means lowering the cap,
and nothing raises it, so the lists only get shorter. Moving a listed module does not change the count: write its
new name. An entry ``pkg.module.*`` covers the module and everything under it, so it holds when the module is
split into a package.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ukbot", "bot")

# The caps: how many entries the lists hold today. Lower them when an entry leaves; never raise them.
MAX_ERRORS_ENTRIES = 63
MAX_RELAXED_ENTRIES = 87  # both lists together, so moving an entry from "errors" to "untyped" costs nothing here

UNTYPED = "untyped"
ERRORS = "errors"
_ANNOTATIONS = "no-untyped-def"  # the only code the "untyped" list lets through


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _ratchet_blocks(config: dict) -> dict[str, dict]:
    """The two ratchet overrides by tier: the test-policy block (a ``*.`` pattern) is not part of the ratchet."""
    blocks: dict[str, list[dict]] = defaultdict(list)
    for block in config["tool"]["mypy"].get("overrides", []):
        modules = _as_list(block["module"])
        if any(name.startswith("*") for name in modules):
            continue
        if block.get("ignore_errors") is True:
            blocks[ERRORS].append(block)
        elif block.get("disallow_untyped_defs") is False:
            blocks[UNTYPED].append(block)
    for tier in (UNTYPED, ERRORS):
        assert len(blocks[tier]) == 1, f"expected one {tier!r} override in pyproject.toml, found {len(blocks[tier])}"
    return {tier: found[0] for tier, found in blocks.items()}


def _entries(config: dict) -> dict[str, list[str]]:
    return {tier: _as_list(block["module"]) for tier, block in _ratchet_blocks(config).items()}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _strict_config(config: dict) -> str:
    """pyproject.toml's mypy settings without the two ratchet blocks, as a TOML file mypy and its plugin read."""
    ratchet = [id(block) for block in _ratchet_blocks(config).values()]
    mypy = dict(config["tool"]["mypy"])
    overrides = [block for block in mypy.pop("overrides", []) if id(block) not in ratchet]
    lines = ["[tool.mypy]", *(f"{key} = {_toml(value)}" for key, value in mypy.items())]
    for block in overrides:
        lines += ["", "[[tool.mypy.overrides]]", *(f"{key} = {_toml(value)}" for key, value in block.items())]
    lines += ["", "[tool.django-stubs]"]
    lines += [f"{key} = {_toml(value)}" for key, value in config["tool"]["django-stubs"].items()]
    return "\n".join(lines) + "\n"


def _modules() -> set[str]:
    """Every module mypy checks, by dotted name (migrations are excluded in pyproject.toml)."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def _module_of(file: str) -> str | None:
    parts = Path(file).with_suffix("").parts
    if not parts or parts[0] not in PACKAGES:
        return None  # tests/ outside the packages, read only where package tests import it
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _matches(entry: str, module: str) -> bool:
    if entry.endswith(".*"):
        base = entry[:-2]
        return module == base or module.startswith(base + ".")
    return module == entry


@pytest.fixture(scope="module")
def strict_errors(tmp_path_factory) -> dict[str, Counter[str]]:
    """Error codes per module when every module is held to the bar (mypy's cache makes reruns quick)."""
    config = tmp_path_factory.mktemp("mypy") / "strict.toml"
    config.write_text(_strict_config(_pyproject()))
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--output", "json"]
    result = subprocess.run(
        [*command, "--cache-dir", ".mypy_cache/ratchet"],  # its own: the options differ from plain mypy's
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors: dict[str, Counter[str]] = defaultdict(Counter)
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            continue
        error = json.loads(line)
        module = _module_of(error["file"])
        if error["severity"] == "error" and module:
            errors[module][error["code"] or "unknown"] += 1
    # 0: clean, 1: type errors; anything else (a crash, a bad config, settings that fail to load) is not an answer.
    assert result.returncode in (0, 1), f"mypy did not run:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0 or errors, f"mypy failed without errors in the packages:\n{result.stdout[-3000:]}"
    return errors


def test_the_ratchet_lists_are_well_formed():
    # given the two lists as pyproject.toml has them
    entries = _entries(_pyproject())

    # then each entry is a module name or `name.*`, each list is sorted, and no entry appears twice
    problems = []
    for tier, names in entries.items():
        problems += [f"{tier}: {name!r} is not a module name or `name.*`" for name in names if "*" in name[:-2]]
        if names != sorted(names):
            problems.append(f"{tier}: keep the list sorted")
    seen = Counter(name for names in entries.values() for name in names)
    problems += [f"{name!r} is listed {count} times" for name, count in seen.items() if count > 1]
    assert not problems, "\n".join(problems)


def test_the_ratchet_lists_only_shrink():
    # given the two lists as pyproject.toml has them
    entries = _entries(_pyproject())
    errors, relaxed = len(entries[ERRORS]), len(entries[ERRORS]) + len(entries[UNTYPED])

    # then they hold no more entries than the caps, and the caps are lowered as soon as entries leave
    grew = "the ratchet lists grew: new and changed code meets the bar (annotate it, fix its errors) instead"
    assert errors <= MAX_ERRORS_ENTRIES, f"{grew}; the 'errors' list has {errors} > {MAX_ERRORS_ENTRIES}"
    assert relaxed <= MAX_RELAXED_ENTRIES, f"{grew}; both lists have {relaxed} > {MAX_RELAXED_ENTRIES}"
    assert (errors, relaxed) == (MAX_ERRORS_ENTRIES, MAX_RELAXED_ENTRIES), (
        f"entries left the lists: set MAX_ERRORS_ENTRIES = {errors} and MAX_RELAXED_ENTRIES = {relaxed} in "
        f"{Path(__file__).name} so they cannot come back"
    )


def test_every_listed_module_still_needs_its_entry(strict_errors):
    # given which modules fail the bar, and how
    entries, modules = _entries(_pyproject()), _modules()

    # then every entry names existing modules, and they still fail in the way their list allows
    problems = []
    for tier, names in entries.items():
        for name in names:
            matched = sorted(module for module in modules if _matches(name, module))
            failing = [module for module in matched if strict_errors.get(module)]
            if not matched:
                problems.append(
                    f"{name}: matches no module (moved or renamed?): in {tier!r}, write the new name instead, or "
                    "remove the entry if the code is gone"
                )
            elif not failing:
                problems.append(f"{name}: meets the bar now: remove it from {tier!r} and lower the cap")
            elif tier == ERRORS and all(set(strict_errors[module]) == {_ANNOTATIONS} for module in failing):
                problems.append(f"{name}: only lacks annotations now: move it from 'errors' to 'untyped'")
    assert not problems, "\n".join(problems)


def test_every_module_below_the_bar_is_listed(strict_errors):
    # given the lists
    entries = _entries(_pyproject())

    # then a module that fails the bar is covered by the list that lets its errors through (mypy fails otherwise)
    problems = []
    for module, codes in sorted(strict_errors.items()):
        untyped = any(_matches(name, module) for name in entries[UNTYPED])
        ignored = any(_matches(name, module) for name in entries[ERRORS])
        if ignored or (untyped and set(codes) == {_ANNOTATIONS}):
            continue
        problems.append(f"{module}: {dict(codes)}")
    assert not problems, "modules below the bar; new code meets it, so fix these:\n" + "\n".join(problems)
