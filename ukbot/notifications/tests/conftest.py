from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests import factories
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.notifications import ratelimit

BOT_TOKEN = "123456:test-secret"
_chat_ids = itertools.count(7_000_001)


@pytest.fixture(autouse=True)
def _free_delivery_loops():
    # A worker killed by another test may still hold a loop slot in this Redis until it expires.
    ratelimit.reset()


@pytest.fixture
def fake_telegram(settings):
    """A fake Bot API that the delivery code talks to, and clean rate-limit slots."""
    ratelimit.reset()
    with FakeTelegramAPI(token=BOT_TOKEN) as fake:
        settings.TELEGRAM_API_URL = fake.url
        settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
        yield fake
    ratelimit.reset()


def resident(**account_fields) -> int:
    """An account with a Telegram chat of its own (plus any other fields given); return its id."""
    fields = {"telegram_id": next(_chat_ids), **account_fields}
    return factories.person(profile=False, account_fields=fields)


class ProviderSink:
    """A tiny HTTP provider (SMS or push): records each request and answers from a script (default 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict, dict]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sink.requests.append({"headers": dict(self.headers), "body": body})
                status, answer, headers = sink.script.pop(0) if sink.script else (200, {"id": "p-1"}, {})
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    sink = ProviderSink()
    yield sink
    sink.close()
