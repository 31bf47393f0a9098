"""Templates: find the text of a kind of message for a channel and language, check it, and render it.

A template's title, body and button strings use ``str.format`` fields restricted to plain names: ``{number}``,
never ``{number.attr}``, ``{0}``, ``{x!r}`` or ``{x:>99}``. Each kind allows the names listed in
:data:`ukbot.notifications.defaults.VARIABLES`; a template using another is refused, naming it. Literal braces are
written ``{{`` and ``}}``.

For Telegram (HTML parse mode) every value is HTML-escaped before it is put in, so a description typed as
``<b>`` shows as text and cannot break the message; the template's own tags are the admin's and are checked to be
ones Telegram knows. Button texts and callback data are not HTML and are not escaped.
"""

from __future__ import annotations

import html
import string
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ErrorDetail, ValidationFailedError
from ukbot.notifications import defaults
from ukbot.notifications.defaults import HTML_CHANNELS, VARIABLES, TemplateSource

MAX_TELEGRAM_TEXT = 4096
MAX_TITLE = 200
MAX_VALUE = 1000  # characters of one value (a description, a comment) shown in a message
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit
MAX_BUTTON_ROWS = 8
MAX_BUTTONS_PER_ROW = 8
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span", "blockquote"}
)
_formatter = string.Formatter()


def kinds() -> list[str]:
    """Every kind of message a template can be written for, sorted."""
    return sorted(VARIABLES)


def variables_of(kind: str) -> tuple[str, ...]:
    """The names a template of ``kind`` may use (empty for an unknown kind)."""
    return VARIABLES.get(kind, ())


def _fields(text: str, *, field: str) -> tuple[set[str], list[ErrorDetail]]:
    """The names used in ``text``; problems with the syntax or with fields that are not plain names."""
    try:
        parsed = list(_formatter.parse(text))
    except ValueError as exc:
        message = _("Broken braces: %(error)s. Write literal braces as {{ and }}.") % {"error": exc}
        return set(), [ErrorDetail(field=field, message=str(message))]
    names, problems = set(), []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            message = _("Use plain names such as {number}; {%(field)s} is not allowed.") % {
                "field": name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            }
            problems.append(ErrorDetail(field=field, message=str(message)))
            continue
        names.add(name)
    return names, problems


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"<{tag}>")
        else:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag not in TELEGRAM_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}>")
        else:
            self.open.pop()


def _check_html(body: str) -> list[ErrorDetail]:
    checker = _TagChecker()
    checker.feed(body)
    checker.close()
    problems = checker.problems + [f"<{tag}>" for tag in checker.open]
    if not problems:
        return []
    message = _("Telegram cannot show these tags, or they are not closed in order: %(tags)s.") % {
        "tags": ", ".join(problems)
    }
    return [ErrorDetail(field="body", message=str(message))]


def _check_buttons(buttons: Any) -> tuple[list[tuple[str, str]], list[ErrorDetail]]:
    """The (field path, text) of every button string; problems with the shape of the spec."""
    bad = ErrorDetail(
        field="buttons",
        message=str(_('Buttons are rows of {"text": …, "callback_data": …} or {"text": …, "url": …}, at most 8 by 8.')),
    )
    if not isinstance(buttons, list | tuple) or len(buttons) > MAX_BUTTON_ROWS:
        return [], [bad]
    strings = []
    for r, row in enumerate(buttons):
        if not isinstance(row, list | tuple) or not 0 < len(row) <= MAX_BUTTONS_PER_ROW:
            return [], [bad]
        for c, button in enumerate(row):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"].strip():
                return [], [bad]
            targets = set(button) - {"text"}
            if len(targets) != 1 or not targets <= {"callback_data", "url"}:
                return [], [bad]
            target = targets.pop()
            if not isinstance(button[target], str) or not button[target]:
                return [], [bad]
            strings += [(f"buttons[{r}][{c}].text", button["text"]), (f"buttons[{r}][{c}].{target}", button[target])]
    return strings, []


def validate(*, kind: str, channel: str, title: str, body: str, buttons: Any = ()) -> None:
    """Check a template before it is saved: known kind, plain names it allows, Telegram tags and buttons.

    :raises ValidationFailedError: naming each problem; unknown variables are listed by name.
    """
    if kind not in VARIABLES:
        raise ValidationFailedError(details={"event_type": _("Unknown kind of message.")})
    allowed = set(VARIABLES[kind])
    problems: list[ErrorDetail] = []
    if not (body or "").strip():
        problems.append(ErrorDetail(field="body", message=str(_("Write the text."))))
    if channel in HTML_CHANNELS and len(body or "") > MAX_TELEGRAM_TEXT:
        problems.append(ErrorDetail(field="body", message=str(_("Telegram takes at most 4096 characters."))))
    # Not list(buttons): ``true`` or ``1`` from a client must be refused here, not fail to iterate.
    strings, button_problems = _check_buttons([] if buttons is None else buttons)
    problems += button_problems
    if buttons and channel not in HTML_CHANNELS:
        problems.append(ErrorDetail(field="buttons", message=str(_("Only Telegram messages have buttons."))))
    for field, text in [("title", title or ""), ("body", body or ""), *strings]:
        names, syntax = _fields(text, field=field)
        problems += syntax
        unknown = sorted(names - allowed)
        if unknown:
            message = _("Unknown variables: %(unknown)s. This kind of message knows: %(allowed)s.") % {
                "unknown": ", ".join(unknown),
                "allowed": ", ".join(VARIABLES[kind]),
            }
            problems.append(ErrorDetail(field=field, message=str(message)))
    if channel in HTML_CHANNELS and not any(p.field == "body" for p in problems):
        problems += _check_html(body)
    if problems:
        raise ValidationFailedError(details=problems)


@dataclass(frozen=True)
class Rendered:
    """A message ready for ``delivery.enqueue``: title, text and Telegram buttons (rows of dicts)."""

    title: str
    text: str
    buttons: tuple[tuple[dict, ...], ...] = ()

    def buttons_json(self) -> list[list[dict]]:
        return [list(row) for row in self.buttons]


def source_for(*, kind: str, channel: str, language: str) -> TemplateSource | None:
    """The template of ``kind`` for ``channel`` in ``language``: the saved one, else the shipped default.

    Looks for the language asked, then Russian (the company default), first in the database then in the defaults;
    a channel with no template of its own (SMS, push) falls back to the shipped plain text.
    """
    from ukbot.notifications.models import Template  # models import this module for validation

    rows = {
        row.language: row
        for row in Template.objects.filter(event_type=kind, channel=channel, language__in={language, "ru"})
    }
    row = rows.get(language)
    if row is None and language not in defaults.LANGUAGES:
        row = rows.get("ru")
    if row is not None:
        return TemplateSource(title=row.title, body=row.body, buttons=tuple(tuple(r) for r in row.buttons or ()))
    return defaults.default_for(kind, channel, language)


def _fill(text: str, values: dict[str, str]) -> str:
    return _formatter.vformat(text, (), values)


def render_source(source: TemplateSource, *, kind: str, channel: str, variables: dict[str, Any]) -> Rendered:
    """Put ``variables`` into ``source``; missing ones read as empty, values are escaped for Telegram HTML."""
    allowed = VARIABLES.get(kind, ())
    raw = {name: "" if variables.get(name) is None else str(variables[name]) for name in allowed}
    text = ""
    for cap in (MAX_VALUE, 100):  # long typed texts are cut so that the message stays within Telegram's limit
        capped = {name: value if len(value) <= cap else value[: cap - 1] + "…" for name, value in raw.items()}
        shown = {k: html.escape(v) for k, v in capped.items()} if channel in HTML_CHANNELS else capped
        text = _fill(source.body, shown).strip()
        if channel not in HTML_CHANNELS or len(text) <= MAX_TELEGRAM_TEXT:
            break
    buttons = []
    for row in source.buttons if channel in HTML_CHANNELS else ():
        out = []
        for button in row:
            filled = {key: _fill(value, raw) for key, value in button.items()}
            if len(filled.get("callback_data", "").encode()) > MAX_CALLBACK_DATA:
                continue  # Telegram refuses the whole message for one overlong button: drop the button
            out.append(filled)
        if out:
            buttons.append(tuple(out))
    # a title is an e-mail subject: one line (a typed newline must not start a new header), at most 200 characters
    title = " ".join(_fill(source.title, raw).split())
    title = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
    return Rendered(title=title, text=text, buttons=tuple(buttons))


def render(*, kind: str, channel: str, language: str, variables: dict[str, Any]) -> Rendered | None:
    """Render the message of ``kind`` for ``channel`` in ``language``; None when no template exists for it."""
    source = source_for(kind=kind, channel=channel, language=language)
    if source is None:
        return None
    return render_source(source, kind=kind, channel=channel, variables=variables)


def preview(*, kind: str, channel: str, title: str, body: str, buttons: Any = ()) -> Rendered:
    """Render an unsaved template with the sample values (what the admin and the API show before saving).

    :raises ValidationFailedError: as :func:`validate`.
    """
    validate(kind=kind, channel=channel, title=title, body=body, buttons=buttons)
    source = TemplateSource(title=title, body=body, buttons=tuple(tuple(row) for row in buttons or ()))
    samples = {name: defaults.SAMPLES.get(name, name) for name in variables_of(kind)}
    return render_source(source, kind=kind, channel=channel, variables=samples)
