"""The bot's texts: Django's gettext with the project's catalogues (docs/decisions/0005), English source strings.

The person middleware activates the person's language for the whole update, so handlers write ``_("Done")``.
Texts needed at import time (button labels, state hints) are lazy: ``__("Done")``. A reply-keyboard button comes
back as plain text in the language it was shown in; :func:`texts_of` gives a label in every language so a filter
recognises it whichever language the keyboard was drawn in.
"""

from __future__ import annotations

from functools import cache

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, ngettext

from bot.person import LANGUAGES

_ = gettext
__ = gettext_lazy
n_ = ngettext


@cache
def _labels(msgid: str) -> frozenset[str]:
    found = set()
    for language in LANGUAGES:
        with translation.override(language):
            found.add(gettext(msgid))
    return frozenset(found)


def texts_of(label) -> frozenset[str]:
    """Return ``label`` (a lazy text or an English msgid) translated into every language of the bot."""
    args = getattr(label, "_args", None)  # a lazy text keeps its msgid there (str() would translate it)
    msgid = args[0] if args else str(label)
    return _labels(msgid)


def in_language(language: str, label) -> str:
    """Return ``label`` in ``language``."""
    with translation.override(language):
        return str(label)
