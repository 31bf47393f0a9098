"""Who listens to what: handlers registered by name from every app's ``handlers.py``."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ukbot.core.events.bus import Event, EventType

Handler = Callable[["Event"], None]


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, EventType] = {}
        self._handlers: dict[str, Handler] = {}
        self._subscriptions: dict[str, list[str]] = defaultdict(list)
        self._discovered = False

    # --- event types ---------------------------------------------------------------------------------------
    def add_type(self, event_type: EventType) -> None:
        known = self._types.get(event_type.name)
        if known is not None and known.source != event_type.source:
            raise ValueError(f"event type {event_type.name!r} already defined by {known.source}")
        self._types[event_type.name] = event_type

    def get_type(self, name: str) -> EventType:
        try:
            return self._types[name]
        except KeyError:
            raise LookupError(f"unknown event type {name!r}") from None

    def types(self) -> list[EventType]:
        return sorted(self._types.values(), key=lambda t: t.name)

    # --- handlers ------------------------------------------------------------------------------------------
    def subscribe(self, event_type: EventType | str, handler: Handler, *, name: str | None = None) -> str:
        type_name = event_type if isinstance(event_type, str) else event_type.name
        handler_name = name or f"{handler.__module__}.{handler.__qualname__}"
        existing = self._handlers.get(handler_name)
        if existing is not None and existing is not handler:
            raise ValueError(f"two different handlers are named {handler_name!r}")
        self._handlers[handler_name] = handler
        if handler_name not in self._subscriptions[type_name]:
            self._subscriptions[type_name].append(handler_name)
        return handler_name

    def unsubscribe(self, handler_name: str) -> None:
        self._handlers.pop(handler_name, None)
        for names in self._subscriptions.values():
            if handler_name in names:
                names.remove(handler_name)

    def handlers_for(self, type_name: str) -> list[str]:
        return list(self._subscriptions.get(type_name, ()))

    def handler(self, handler_name: str) -> Handler | None:
        return self._handlers.get(handler_name)

    def subscriptions(self) -> dict[str, list[str]]:
        return {name: list(handlers) for name, handlers in self._subscriptions.items() if handlers}

    def autodiscover(self) -> None:
        """Import every installed app's ``events`` and ``handlers`` modules, plus EVENTS_EXTRA_HANDLER_MODULES."""
        if self._discovered:
            return
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("events")
        autodiscover_modules("handlers")
        for module in getattr(settings, "EVENTS_EXTRA_HANDLER_MODULES", []):
            importlib.import_module(module)
        self._discovered = True


registry = Registry()


def subscribe(event_type: EventType | str, *, name: str | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of ``event_type`` (run by the relay, at least once)."""

    def decorator(func: Handler) -> Handler:
        registry.subscribe(event_type, func, name=name)
        return func

    return decorator
