"""Each role's main menu (a reply keyboard) and the filter that recognises its buttons in any language.

Feature modules handle buttons by name: ``@router.message(MenuButton("my_requests"))``. The labels are here, in
one place, so every menu is consistent and the fallback hint can point at them.
"""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup

from bot.i18n import __, texts_of
from bot.person import Person

BUTTONS = {
    # applicant
    "new_request": __("📝 New request"),
    "my_requests": __("📋 My requests"),
    "my_apartments": __("🏠 My apartments"),
    "notifications": __("🔔 Notifications"),
    # executor
    "shift": __("⏱ Shift"),
    "my_tasks": __("🧰 My tasks"),
    "pool": __("🆓 Free requests"),
    "archive": __("🗄 Archive"),
    "verification": __("🪪 Verification"),
    # inspector
    "report_problem": __("🔎 Report a problem"),
    # manager
    "mgr_new": __("🆕 New"),
    "mgr_active": __("⚙️ In work"),
    "mgr_check": __("✅ Awaiting check"),
    "mgr_returned": __("↩️ Returned"),
    "mgr_materials": __("📦 Materials"),
    "mgr_overdue": __("⏰ Overdue"),
    "mgr_apartments": __("🏠 Apartment links"),
    "mgr_verifications": __("🪪 Verifications"),
    "mgr_invite": __("✉️ Invite"),
    # everyone
    "switch_role": __("🔁 Switch role"),
    "language": __("🌐 Language"),
    "help": __("❓ Help"),
}

_ROWS = {
    "applicant": [["new_request", "my_requests"], ["my_apartments", "notifications"]],
    "executor": [["shift", "my_tasks"], ["pool", "archive"], ["verification"]],
    "inspector": [["report_problem", "my_requests"]],
    "manager": [
        ["mgr_new", "mgr_active", "mgr_check"],
        ["mgr_returned", "mgr_materials", "mgr_overdue"],
        ["mgr_apartments", "mgr_verifications", "mgr_invite"],
    ],
}
_ROWS["admin"] = _ROWS["manager"]


def main_menu(person: Person) -> ReplyKeyboardMarkup:
    """Return the main menu of the person's active role, in the active language."""
    rows = [list(row) for row in _ROWS.get(person.role or "", [])]
    last = ["language", "help"]
    if len(person.roles) > 1:
        last.insert(0, "switch_role")
    rows.append(last)
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=str(BUTTONS[name])) for name in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


class MenuButton(Filter):
    """Matches a message whose text is the label of the named menu button, in any of the bot's languages."""

    def __init__(self, *names: str) -> None:
        self.labels = frozenset().union(*(texts_of(BUTTONS[name]) for name in names))

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text in self.labels


def is_menu_text(text: str | None) -> bool:
    """Tell whether ``text`` is the label of any menu button (in any language)."""
    return text is not None and any(text in texts_of(label) for label in BUTTONS.values())
