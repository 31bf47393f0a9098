"""The trace id of the work in hand (an HTTP request, a task, a relay batch), for logs and correlation ids."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

_trace_id: ContextVar[str | None] = ContextVar("trace_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def current_trace_id() -> str | None:
    return _trace_id.get()


def set_trace_id(value: str | None) -> Token[str | None]:
    """Set the trace id; return the token to reset it with ``reset_trace_id``."""
    return _trace_id.set(value)


def reset_trace_id(token: Token[str | None]) -> None:
    _trace_id.reset(token)


def new_trace_id(candidate: str | None = None) -> str:
    """Accept a caller's X-Request-ID when it is a sane token, else make a new one."""
    if candidate and _VALID.match(candidate):
        return candidate
    return uuid.uuid4().hex
