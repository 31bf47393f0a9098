"""What the bot says, in Russian (the default), Uzbek and English.

A plain dict per language until the gettext catalogues arrive; keys are stable, so handlers will not change then.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "ru"

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "start": (
            "Здравствуйте, {name}! Я бот управляющей компании: здесь можно сообщить о неисправности "
            "и следить за выполнением заявки.\nСписок команд: /help"
        ),
        "help": "Команды:\n/start — начало работы\n/help — эта справка",
    },
    "uz": {
        "start": (
            "Assalomu alaykum, {name}! Men boshqaruv kompaniyasining botiman: bu yerda nosozlik haqida xabar "
            "berishingiz va arizangiz bajarilishini kuzatishingiz mumkin.\nBuyruqlar roʻyxati: /help"
        ),
        "help": "Buyruqlar:\n/start — ishni boshlash\n/help — ushbu maʼlumotnoma",
    },
    "en": {
        "start": (
            "Hello, {name}! I am the housing management company's bot: here you can report a problem "
            "and follow your request until it is done.\nCommands: /help"
        ),
        "help": "Commands:\n/start — get started\n/help — this help",
    },
}


def language_of(language_code: str | None) -> str:
    """Return the bot language for a Telegram ``language_code`` (``uz``, ``en-GB``, …); Russian when unsupported."""
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.split("-", 1)[0].lower()
    return primary if primary in TEXTS else DEFAULT_LANGUAGE


def text(key: str, language: str, **params: object) -> str:
    """Return the text ``key`` in ``language`` with ``params`` filled in.

    :raises KeyError: when ``key`` or ``language`` is unknown.
    """
    return TEXTS[language][key].format(**params)
