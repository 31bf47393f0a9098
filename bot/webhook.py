"""Webhook mode: Telegram POSTs each update to ``/telegram/webhook/`` with the secret set by ``setwebhook``.

The secret header is compared in constant time; a wrong or missing one gets 403 and the update is not handled.
Updates are handled on one event loop per web process (a thread of its own, :class:`Runner`), where the bot (its
HTTP session to the Bot API) and the Redis client live for the life of the process and are reused by every update,
as in polling. The view waits for its update to be handled (up to ``WEBHOOK_WAIT_SECONDS``; a slower one finishes
on the loop), and answers 200 even when handling failed (the person was told; Telegram retrying would repeat the
failure).
"""

from __future__ import annotations

import asyncio
import atexit
import hmac
import json
import logging
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from aiogram import Bot
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bot import redis as bot_redis
from bot.dispatcher import build_bot, dispatcher
from bot.sync import close_connections

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
# Telegram gives a webhook about a minute; an update still being handled after this is answered and finishes.
WEBHOOK_WAIT_SECONDS = 50.0


class Runner:
    """An event loop in a daemon thread that handles this process's webhook updates, with one bot per token and
    API server (made on first use, kept) and the loop's Redis client (:func:`bot.redis.redis`)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.bots: dict[tuple[str, str], Bot] = {}
        self._thread = threading.Thread(target=self.loop.run_forever, name="telegram-webhook", daemon=True)
        self._thread.start()

    def feed(self, update: dict[str, Any], *, timeout: float) -> None:
        """Handle ``update`` on the loop; wait for it up to ``timeout`` seconds.

        :raises TimeoutError: it is still being handled (it goes on).
        """
        future = asyncio.run_coroutine_threadsafe(self._feed(update), self.loop)
        try:
            future.result(timeout)
        except FutureTimeout as exc:
            raise TimeoutError(f"update {update.get('update_id')} still being handled after {timeout} s") from exc

    async def _feed(self, update: dict[str, Any]) -> None:
        key = (settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_URL)
        bot = self.bots.get(key)
        if bot is None:  # the first update, or the token changed: the old sessions are of no more use
            for old in self.bots.values():
                await old.session.close()
            self.bots.clear()
            bot = self.bots[key] = build_bot(token=key[0], api_url=key[1])
        await dispatcher().feed_webhook_update(bot, update)

    def close(self, timeout: float = 5.0) -> None:
        """Close the bots' sessions, the Redis client and the database connections, then stop the loop."""

        async def _close() -> None:
            for bot in self.bots.values():
                await bot.session.close()
            self.bots.clear()
            await bot_redis.close()
            await close_connections()

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(_close(), self.loop).result(timeout)
            except Exception:  # leaving anyway; nothing more to do
                log.info("bot: the webhook runner did not close cleanly", exc_info=True)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)


_runner: Runner | None = None
_runner_pid: int | None = None
_runner_lock = threading.Lock()


def runner() -> Runner:
    """The process's runner, started on first use (after a web server forked its workers, each gets its own)."""
    global _runner, _runner_pid
    with _runner_lock:
        if _runner is None or _runner_pid != os.getpid():
            _runner, _runner_pid = Runner(), os.getpid()
        return _runner


@atexit.register
def shutdown() -> None:
    """Stop the process's runner, if one was started here (at exit; tests call it after each test)."""
    global _runner
    with _runner_lock:
        if _runner is not None and _runner_pid == os.getpid():
            _runner.close()
        _runner = None


def _secret_ok(request: HttpRequest) -> bool:
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.headers.get(SECRET_HEADER, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest) -> HttpResponse:
    if not settings.TELEGRAM_BOT_TOKEN or not settings.TELEGRAM_WEBHOOK_SECRET:
        return JsonResponse({"ok": False, "description": "webhook mode is not configured"}, status=404)
    if not _secret_ok(request):
        return JsonResponse({"ok": False, "description": "wrong secret token"}, status=403)
    try:
        update = json.loads(request.body)
    except ValueError:
        return JsonResponse({"ok": False, "description": "the body is not JSON"}, status=400)
    if not isinstance(update, dict) or "update_id" not in update:
        return JsonResponse({"ok": False, "description": "the body is not an update"}, status=400)
    try:
        runner().feed(update, timeout=WEBHOOK_WAIT_SECONDS)
    except TimeoutError:
        log.warning("bot: webhook update %s is taking long; answered, it goes on", update.get("update_id"))
    except Exception:
        log.exception("bot: webhook update %s failed", update.get("update_id"))
    return JsonResponse({"ok": True})
