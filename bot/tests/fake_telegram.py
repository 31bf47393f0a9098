"""A tiny Telegram Bot API over real HTTP on 127.0.0.1, enough for long polling and sending messages.

It serves ``/bot<token>/<method>`` like api.telegram.org: getMe, deleteWebhook, getUpdates (with offsets and a
short long-poll wait) and sendMessage, whose requests it records for the test to inspect.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

BOT_ID = 123456
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-api"
SEND_DELAY_SECONDS = 0.5


def command_update(update_id: int, *, chat_id: int, first_name: str, language_code: str, command: str) -> dict:
    """A private-chat message carrying a bot command, as Telegram delivers it."""
    user = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "from": user,
            "text": command,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


class FakeTelegram:
    def __init__(self) -> None:
        self.updates: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def methods(self) -> list[str]:
        with self._changed:
            return [method for method, _ in self.calls]

    def sent(self) -> list[dict]:
        with self._changed:
            return [params for method, params in self.calls if method == "sendMessage"]

    def wait_for_sent(self, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([1 for method, _ in self.calls if method == "sendMessage"]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} sendMessage calls within {timeout}s, saw {self.calls}")
                self._changed.wait(left)
        return self.sent()

    def _record(self, method: str, params: dict) -> None:
        with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()

    def _answer(self, method: str, params: dict) -> tuple[int, dict]:
        if method == "getMe":
            return 200, {"id": BOT_ID, "is_bot": True, "first_name": "UK Test Bot", "username": "uk_test_bot"}
        if method == "deleteWebhook":
            return 200, True
        if method == "getUpdates":
            offset = int(params.get("offset", 0))
            pending = [update for update in self.updates if update["update_id"] >= offset]
            if not pending:
                time.sleep(0.2)  # a short long-poll wait, so an idle bot does not spin
            return 200, pending
        if method == "sendMessage":
            # Answer late: a test that stops the bot on seeing the request stops it while the reply is in flight.
            time.sleep(SEND_DELAY_SECONDS)
            chat_id = int(params["chat_id"])
            message = {
                "message_id": 1000 + len(self.sent()),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "UK Test Bot"},
                "text": params["text"],
            }
            return 200, message
        return 404, None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                prefix = f"/bot{TOKEN}/"
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = self.path[len(prefix) :]
                if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    self._reply(400, {"ok": False, "error_code": 400, "description": "fake takes forms only"})
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = dict(parse_qsl(body, keep_blank_values=True))
                fake._record(method, params)
                status, result = fake._answer(method, params)
                if status != 200:
                    self._reply(status, {"ok": False, "error_code": status, "description": "Not Found"})
                    return
                self._reply(200, {"ok": True, "result": result})

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a stopping bot drops its pending long poll; that is expected

            def log_message(self, *args: object) -> None:
                pass  # keep the test output clean

        return Handler
