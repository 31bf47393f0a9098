"""The owner registry: which app decides who may read a file attached to one of its objects.

Apps register a rule per kind of object from their ``AppConfig.ready()`` (through :mod:`ukbot.media.public`), so
`media` never imports them: ``register_owner("request", can_read)`` where ``can_read(account_id, object_id,
actor_kind)`` answers whether that person, acting as ``actor_kind``, may see the object.
"""

from __future__ import annotations

from collections.abc import Callable

MANAGER, EXECUTOR, APPLICANT = "manager", "executor", "applicant"
ACTOR_KINDS = (MANAGER, EXECUTOR, APPLICANT)

CanRead = Callable[[int, str, str], bool]
_rules: dict[str, CanRead] = {}


def register(kind: str, can_read: CanRead) -> None:
    if not kind or not kind.replace("_", "").isalnum() or len(kind) > 30:
        raise ValueError(f"an owner kind is a short identifier such as 'request', not {kind!r}")
    _rules[kind] = can_read  # registering again (a reloaded app) replaces the rule


def rule(kind: str) -> CanRead | None:
    return _rules.get(kind)


def kinds() -> tuple[str, ...]:
    return tuple(sorted(_rules))
