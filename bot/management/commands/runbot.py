"""Run the Telegram bot (long polling) in the foreground: ``python manage.py runbot``."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bot.dispatcher import run_polling


class Command(BaseCommand):
    help = "Run the Telegram bot with long polling until SIGINT or SIGTERM."

    def handle(self, *args, **options) -> None:
        token = settings.TELEGRAM_BOT_TOKEN
        if not token:
            raise CommandError("TELEGRAM_BOT_TOKEN: required to run the bot")
        # A Ctrl-C before polling has started (while deleting the webhook) ends quietly, like one during polling.
        with suppress(KeyboardInterrupt):
            asyncio.run(run_polling(token=token, api_url=settings.TELEGRAM_API_URL))
