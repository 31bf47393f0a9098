"""Typed readers of settings from the environment.

Every reader raises :class:`ConfigError` naming the variable; the entry points (manage.py, wsgi, asgi, celery)
turn it into one line on stderr and exit, so a bad deployment stops at start-up instead of failing later.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_MISSING = object()


class ConfigError(Exception):
    """A required setting is missing or malformed; the message starts with the variable's name."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | object | None = _MISSING) -> str:
    value = _raw(name)
    if value is None:
        if default is _MISSING:
            raise ConfigError(f"{name}: required but not set")
        return default  # type: ignore[return-value]
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected a boolean (1/0, true/false, yes/no, on/off), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_parsed(name: str, parse: Callable[[str], T], default: T | object = _MISSING, *, expected: str) -> T:
    """Read a variable and parse it; a parser error becomes a ConfigError naming the variable."""
    value = _raw(name)
    if value is None:
        if default is _MISSING:
            raise ConfigError(f"{name}: required but not set ({expected})")
        return default  # type: ignore[return-value]
    try:
        return parse(value)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{name}: expected {expected}, got {value!r} ({exc})") from None


def exit_on_config_error(load: Callable[[], object]) -> None:
    """Run ``load`` (which touches settings); on a ConfigError print one line and exit with status 2."""
    import sys

    try:
        load()
    except ConfigError as exc:
        sys.stderr.write(f"ukbot: configuration error: {exc}\n")
        raise SystemExit(2) from None
