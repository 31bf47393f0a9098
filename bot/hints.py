"""What to say when a message does not fit the dialog's current step: one hint per state, registered by the
module that owns the state (``hints.register(NewRequest.photos, __("Send a photo or press Done."))``)."""

from __future__ import annotations

from aiogram.fsm.state import State

_HINTS: dict[str, object] = {}


def register(state: State, hint) -> None:
    """Say ``hint`` (a lazy text) to an unexpected message while a dialog is in ``state``."""
    _HINTS[state.state] = hint


def hint_for(state_name: str | None) -> str | None:
    """Return the hint for a state (in the active language), or None when the state has none."""
    hint = _HINTS.get(state_name or "")
    return str(hint) if hint is not None else None
