"""Payload classes: checking them when an event type is defined, and rebuilding them from an outbox row's JSON.

A payload is a frozen dataclass of JSON-friendly fields (str, int, bool, None, list, dict), of tuples of them, and
of nested payload dataclasses. JSON turns tuples into lists and dataclasses into objects; :func:`payload_from_data`
turns them back, guided by the field annotations.

Rows outlive code (the outbox keeps events for weeks, dead letters are replayed later), so reading is lenient in
the one safe direction: keys the class no longer has are ignored, and a key the row lacks takes the field's
default. A row that lacks a field without a default cannot be read: that change needed a default (decision 0016).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

Convert = Callable[[Any], Any]


def check_payload_class(payload: Any) -> None:
    """Refuse anything but a frozen dataclass (the class, not an instance) as an event type's payload.

    :raises TypeError: naming the class and what is wrong with it.
    """
    if not isinstance(payload, type) or not dataclasses.is_dataclass(payload):
        raise TypeError(f"an event payload must be a dataclass, not {payload!r}")
    if not payload.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"event payload {payload.__qualname__} must be a frozen dataclass")
    _reader(payload)  # annotations that cannot be resolved fail here, at import, not in a handler


def payload_from_data(cls: type, data: Any) -> Any:
    """Rebuild a payload of class ``cls`` from the JSON-decoded ``data`` of an event.

    :raises TypeError: if ``data`` is not an object, or lacks a field that has no default.
    """
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__qualname__} is read from a JSON object, not {type(data).__name__}")
    kwargs = {}
    for name, convert, required in _reader(cls):
        if name in data:
            value = data[name]
            kwargs[name] = value if convert is None or value is None else convert(value)
        elif required:
            raise TypeError(f"{cls.__qualname__} needs {name!r}, which the event's data lacks")
    return cls(**kwargs)


@functools.cache
def _reader(cls: type) -> tuple[tuple[str, Convert | None, bool], ...]:
    """(field name, converter or None, required) for each init field of ``cls``, worked out once per class."""
    hints = typing.get_type_hints(cls)
    return tuple(
        (
            field.name,
            _converter(hints[field.name]),
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
        )
        for field in dataclasses.fields(cls)
        if field.init
    )


def _converter(hint: Any) -> Convert | None:
    """How to turn a JSON value back into ``hint``; None where the JSON value already is one (str, int, …)."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return functools.partial(payload_from_data, hint)
    if hint is tuple:
        return tuple
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in args if arg is not type(None)]
        inner = _converter(options[0]) if len(options) == 1 else None  # X | Y | …: left as JSON gave it
        return None if inner is None else lambda value: None if value is None else inner(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            each = _converter(args[0])  # a name bound once, so the lambda sees it is not None
            if each is None:
                return tuple
            return lambda value: tuple(each(v) for v in value)
        items = [_converter(arg) for arg in args]
        return lambda value: tuple(v if c is None else c(v) for c, v in zip(items, value, strict=True))
    if origin is list and args:
        item = _converter(args[0])
        return None if item is None else lambda value: [item(v) for v in value]
    return None
