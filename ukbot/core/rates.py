"""Rates such as ``600/min``: how rate limits are written in settings (``API_RATE_*``, docs/decisions/0023).

Apart from the throttles themselves so that ``settings.py`` can check a rate at start-up without importing DRF.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^(\d+)\s*/\s*(\d*)\s*([a-z]+)$")
OFF = "off"


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` requests per window of ``seconds``."""

    limit: int
    seconds: int


@functools.lru_cache(maxsize=64)
def rate_parse(text: str) -> Rate | None:
    """Parse ``<requests>/<period>`` (``600/min``, ``10/30s``, ``1000/day``); ``off`` gives None (no limit).

    :raises ValueError: anything else, or a limit or period of zero.
    """
    value = text.strip().lower()
    if value == OFF:
        return None
    match = _RATE.match(value)
    if match is None:
        raise ValueError("not <requests>/<period>")
    count, multiple, unit = match.groups()
    if unit not in _UNITS:
        raise ValueError(f"unknown period {unit!r} (s, min, hour or day)")
    limit, seconds = int(count), int(multiple or 1) * _UNITS[unit]
    if limit < 1 or seconds < 1:
        raise ValueError("the limit and the period must be at least 1")
    return Rate(limit=limit, seconds=seconds)


def rate_setting(text: str) -> str:
    """Check a rate for settings (``env_parsed``) and return it as written, trimmed.

    :raises ValueError: as :func:`rate_parse`.
    """
    rate_parse(text)
    return text.strip()
