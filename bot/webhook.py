"""Webhook mode: Telegram POSTs each update to ``/telegram/webhook/`` with the secret set by ``setwebhook``.

The secret header is compared in constant time; a wrong or missing one gets 403 and the update is not handled.
The view is async; under a WSGI server Django runs it on an event loop of its own, so the bot (HTTP session) and
the Redis client are made for the request and closed after it. The update is handled before the answer, and the
answer is 200 even when handling failed (the person was told; Telegram retrying would repeat the failure).
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bot import redis as bot_redis
from bot.dispatcher import build_bot, dispatcher

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


def _secret_ok(request: HttpRequest) -> bool:
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.headers.get(SECRET_HEADER, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
async def telegram_webhook(request: HttpRequest) -> HttpResponse:
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
    bot = build_bot(token=settings.TELEGRAM_BOT_TOKEN, api_url=settings.TELEGRAM_API_URL)
    try:
        await dispatcher().feed_webhook_update(bot, update)
    except Exception:
        log.exception("bot: webhook update %s failed", update.get("update_id"))
    finally:
        await bot.session.close()
        await bot_redis.close()
    return JsonResponse({"ok": True})
