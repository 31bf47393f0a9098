"""Django's makemessages, also extracting the bot's short gettext names: ``__`` (lazy) and ``n_`` (plural).

The bot writes its menu labels and hints as ``__("…")`` (bot/i18n.py); xgettext only knows the names it is told.
"""

from __future__ import annotations

from django.core.management.commands.makemessages import Command as MakeMessages


class Command(MakeMessages):
    xgettext_options = [*MakeMessages.xgettext_options, "--keyword=__", "--keyword=n_:1,2"]
