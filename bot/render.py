"""How a request reads in the bot: a one-line list entry and a card (with its history), for every role.

Everything typed by people (descriptions, addresses, comments) is HTML-escaped: messages are sent as HTML.
"""

from __future__ import annotations

import html
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language

from bot.i18n import _
from ukbot.requests import public as requests_public
from ukbot.requests.selectors import RequestCard, RequestLine
from ukbot.requests.statuses import Status

ICONS = {
    Status.NEW: "🆕",
    Status.ASSIGNED: "👷",
    Status.IN_PROGRESS: "🔧",
    Status.WAITING_MATERIALS: "📦",
    Status.CLARIFICATION: "❓",
    Status.COMPLETED: "✅",
    Status.CONFIRMED: "☑️",
    Status.RETURNED: "↩️",
    Status.ACCEPTED: "⭐",
    Status.CANCELLED: "✖️",
}
URGENCY_ICONS = {"low": "⚪", "medium": "🟡", "high": "🟠", "critical": "🔴"}


def esc(text: object) -> str:
    """Escape text typed by people for an HTML message."""
    return html.escape(str(text or ""), quote=False)


def label(field: str, value: str) -> str:
    """A status, category or urgency as it reads in the active language."""
    return requests_public.label(field=field, value=value, language=get_language() or "ru")


def when(value: datetime | None) -> str:
    """A time in the company's time zone, short."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), "d.m.Y H:i")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line(request: RequestLine) -> str:
    """One request as a list entry: icon, number, category, status, where it is, the start of the description."""
    where = f"\n   📍 {esc(_cut(request.address, 60))}" if request.address else ""
    return (
        f"{ICONS.get(request.status, '•')} <b>{request.number}</b> · {label('category', request.category)} · "
        f"{label('status', request.status)}{where}\n   {esc(_cut(request.description, 40))}"
    )


def card(request: RequestCard) -> str:
    """A request's card: what, where, how urgent, its status and deadlines, then its last moves (newest last)."""
    # xgettext does not look inside f-strings: each label is translated on its own line first.
    title, status, category, urgency = _("Request"), _("Status"), _("Category"), _("Urgency")
    address, created, due, rating, history = _("Address"), _("Created"), _("Due by"), _("Rating"), _("History")
    parts = [
        f"{ICONS.get(request.status, '•')} <b>{title} {request.number}</b>",
        f"{status}: {label('status', request.status)}",
        f"{category}: {label('category', request.category)}",
        f"{urgency}: {URGENCY_ICONS.get(request.urgency, '')} {label('urgency', request.urgency)}",
    ]
    if request.address:
        parts.append(f"{address}: {esc(request.address)}")
    parts.append(f"{created}: {when(request.created_at)}")
    if request.resolution_deadline and not request.closed:
        parts.append(f"{due}: {when(request.resolution_deadline)}")
    if request.rating:
        parts.append(f"{rating}: {'★' * request.rating}{'☆' * (5 - request.rating)}")
    parts.append("")
    parts.append(esc(request.description))
    if request.history:
        parts.append("")
        parts.append(f"<b>{history}</b>")
        for row in request.history:
            reason = f" — {esc(row.reason)}" if row.reason else ""
            parts.append(f"{when(row.at)} {label('status', row.to_status)}{reason}")
    return "\n".join(parts)
