"""The event catalogue holds together: every event an app handles has a publisher and a payload class.

Publishers are found by reading the code (every ``publish(<EVENT_TYPE>, ...)`` call under ``ukbot/`` outside
tests), so a handler written ahead of its publisher fails here rather than waiting silently for events that never
come.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import typing
from pathlib import Path

from django.apps import apps

from ukbot.core.events import EventType, registry

ROOT = Path(__file__).resolve().parents[1]


def _catalogue() -> dict[str, EventType]:
    """Every event type the apps define, by the name of its constant in the app's ``events.py``."""
    constants: dict[str, EventType] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("ukbot.") or importlib.util.find_spec(f"{config.name}.events") is None:
            continue
        module = importlib.import_module(f"{config.name}.events")
        for attr, value in vars(module).items():
            if isinstance(value, EventType):
                assert constants.get(attr, value) == value, f"two event types are called {attr}"
                constants[attr] = value
    return constants


def _published_constants() -> dict[str, list[str]]:
    """The first argument of every ``publish(...)`` call in the apps, by name, with where it is."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "ukbot").rglob("*.py")):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if not (isinstance(func, ast.Name) and func.id == "publish") and not (
                isinstance(func, ast.Attribute) and func.attr == "publish"
            ):
                continue
            first = node.args[0] if node.args else None
            name = first.id if isinstance(first, ast.Name) else first.attr if isinstance(first, ast.Attribute) else "?"
            found.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _app_subscriptions() -> dict[str, list[str]]:
    """Event type name → the apps' handlers of it (the bus's own test handlers left out)."""
    registry.autodiscover()
    subscribed: dict[str, list[str]] = {}
    for type_name, handlers in registry.subscriptions().items():
        ours = [h for h in handlers if h.startswith("ukbot.") and ".tests." not in h]
        if ours:
            subscribed[type_name] = ours
    return subscribed


def test_every_publish_call_names_an_event_type_of_the_catalogue():
    catalogue, published = _catalogue(), _published_constants()

    unknown = {name: where for name, where in published.items() if name not in catalogue}

    assert not unknown, f"publish() with a type this test cannot name (use an events.py constant): {unknown}"
    assert {"REQUEST_CREATED", "USER_FORGOTTEN", "MEDIA_DELETED"} <= set(published)  # the scan sees publishers


def test_every_handled_event_type_is_published_somewhere():
    catalogue = _catalogue()
    published = {catalogue[name].name for name in _published_constants() if name in catalogue}

    unpublished = {name: handlers for name, handlers in _app_subscriptions().items() if name not in published}

    assert not unpublished, f"handlers of events nobody publishes (remove them, or add the publisher): {unpublished}"


def test_every_handled_event_type_has_a_payload_class():
    without = {
        name: handlers for name, handlers in _app_subscriptions().items() if registry.get_type(name).payload is None
    }

    assert _app_subscriptions()
    assert not without, f"handled event types without a payload class in their events.py: {without}"


def _payload_classes(cls: type) -> set[type]:
    """``cls`` and every dataclass its fields hold, however nested (``tuple[MaterialLine, ...]``)."""
    found = {cls}
    pending = list(typing.get_type_hints(cls).values())
    while pending:
        hint = pending.pop()
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in found:
            found |= _payload_classes(hint)
        pending.extend(typing.get_args(hint))
    return found


def test_every_payload_class_is_a_frozen_dataclass():
    payloads = {event_type.name: event_type.payload for event_type in _catalogue().values() if event_type.payload}

    not_frozen = {
        name: cls.__qualname__
        for name, payload in payloads.items()
        for cls in _payload_classes(payload)
        if not cls.__dataclass_params__.frozen
    }

    assert "request.materials_requested" in payloads
    assert not not_frozen, f"payload classes must be frozen dataclasses: {not_frozen}"
