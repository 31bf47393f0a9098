"""Point Telegram at this deployment's webhook: ``python manage.py setwebhook https://example.com/telegram/webhook/``.

``--delete`` goes back to long polling (``runbot``). The secret token comes from TELEGRAM_WEBHOOK_SECRET.
"""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bot.dispatcher import build_bot, set_commands


async def _apply(url: str | None) -> bool:
    bot = build_bot(token=settings.TELEGRAM_BOT_TOKEN, api_url=settings.TELEGRAM_API_URL)
    try:
        if url is None:
            return await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot)
        return await bot.set_webhook(
            url,
            secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
            allowed_updates=["message", "edited_message", "callback_query"],
            drop_pending_updates=False,
        )
    finally:
        await bot.session.close()


class Command(BaseCommand):
    help = "Set (or with --delete remove) the Telegram webhook of the bot."

    def add_arguments(self, parser) -> None:
        parser.add_argument("url", nargs="?", help="the public https URL of /telegram/webhook/")
        parser.add_argument("--delete", action="store_true", help="remove the webhook (back to runbot polling)")

    def handle(self, *args, url: str | None = None, delete: bool = False, **options) -> None:
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("TELEGRAM_BOT_TOKEN: required")
        if delete:
            asyncio.run(_apply(None))
            self.stdout.write("webhook removed; run `manage.py runbot` to poll")
            return
        if not url or not url.startswith("https://"):
            raise CommandError("give the webhook's public https URL, e.g. https://example.com/telegram/webhook/")
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("TELEGRAM_WEBHOOK_SECRET: required for webhook mode (1–256 of A-Z a-z 0-9 _ -)")
        asyncio.run(_apply(url))
        self.stdout.write(f"webhook set to {url}")
