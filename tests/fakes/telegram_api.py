"""A fake Telegram Bot API served over real HTTP from a thread, for tests and benchmarks.

Point the code under test at it with ``TELEGRAM_API_URL=fake.url`` (any token works unless one is given)::

    with FakeTelegramAPI() as fake:
        settings.TELEGRAM_API_URL = fake.url
        ...
        assert [m.params["text"] for m in fake.delivered()] == ["Hello"]

What it implements (JSON, form-encoded and multipart bodies, as aiogram and httpx send them):

- ``getMe``; ``sendMessage``, ``sendPhoto``, ``sendDocument`` (a file id or an upload), ``editMessageText``,
  ``editMessageReplyMarkup`` → a Message; ``getFile`` plus the download at ``/file/bot<token>/<path>``;
  ``answerCallbackQuery``, ``setMyCommands``, ``deleteMessage`` and any other method → ``true``.
- ``getUpdates`` with ``offset`` / ``limit`` / ``timeout`` (a real long poll); tests feed it with
  :meth:`push_update`, :meth:`push_message` and :meth:`push_callback`.
- Scripted answers for the next matching calls (:meth:`fail_next`): 429 with ``retry_after``, 403 "bot was blocked
  by the user", 500, or anything else; and slow answers (:meth:`delay_next`). A slow call whose client gave up
  (timed out and closed the connection) before the answer is not delivered, like a request that never got
  through the server's queue.
- ``enforce_limits=True``: Telegram's flood control, answering 429 when a chat gets a second message within
  ``chat_interval`` seconds or the bot more than ``global_per_second`` messages in any second.

What it refuses, as Telegram does (HTTP 400, ``{"ok": false, "error_code": 400, "description": "Bad Request: …"}``,
which aiogram raises as ``TelegramBadRequest``), so that a bot passing here does not fail against the real API:

- ``answerCallbackQuery`` for a query id the fake never delivered (in an update given to :meth:`push_update`,
  :meth:`push_callback`, or announced with :meth:`expect_callback`) or already answered: "query is too old and
  response timeout expired or query ID is invalid"; an answer ``text`` over 200 characters: "MESSAGE_TOO_LONG".
- With ``parse_mode`` HTML (any case), the ``text`` of ``sendMessage`` / ``editMessageText`` and the ``caption`` of
  ``sendPhoto`` / ``sendDocument`` / ``editMessageCaption`` that Telegram cannot parse: "can't parse entities: …",
  by tdlib's rules (:func:`html_text`): only the tags b, strong, i, em, u, ins, s, strike, del, tg-spoiler,
  span class="tg-spoiler", a, tg-emoji, code, pre, blockquote; end tags closing the innermost open tag; every tag
  closed; every ``<`` starting a tag; byte offsets in UTF-8. ``&lt; &gt; &amp; &quot; &#NN; &#xHH;`` are decoded,
  any other ``&`` is kept as it is. Without a parse mode the text is taken literally.
- A text empty (or only blanks) once parsed: "message text is empty"; longer than 4096 characters: "message is too
  long"; a caption longer than 1024: "message caption is too long".

Every request is kept as a :class:`Call` (with its arrival time and the answer's status); :meth:`delivered`
lists the messages that were actually sent.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import math
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument"}
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_ANSWER_LIMIT = 4096, 1024, 200  # characters, after entities parsing
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_JSON_PARAMS = {"reply_markup", "entities", "caption_entities", "commands", "scope", "link_preview_options"}


@dataclass
class Call:
    """One request the fake received; ``status`` is the HTTP status it answered (0: the client had gone)."""

    method: str
    params: dict[str, Any]
    at: float
    token: str
    status: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None

    @property
    def chat_id(self) -> str | None:
        chat = self.params.get("chat_id")
        return None if chat is None else str(chat)

    @property
    def delivered(self) -> bool:
        return self.method in SEND_METHODS and self.status == 200


@dataclass
class _Script:
    method: str
    chat_id: str | None
    times: int
    status: int = 200
    body: dict | None = None
    delay: float = 0.0


class FakeTelegramAPI:
    """The fake server; start it with ``with`` (or :meth:`start` / :meth:`stop`)."""

    def __init__(
        self,
        *,
        token: str | None = None,
        enforce_limits: bool = False,
        global_per_second: int = 30,
        chat_interval: float = 1.0,
        bot_username: str = "uk_test_bot",
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.global_per_second = global_per_second
        self.chat_interval = chat_interval
        self.bot = {
            "id": 100001,
            "is_bot": True,
            "first_name": "UK Test Bot",
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._scripts: list[_Script] = []
        self._updates: deque[dict] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._files: dict[str, tuple[str, bytes]] = {}
        self._open_queries: set[str] = set()  # callback queries delivered and not answered yet
        self._recent_sends: deque[tuple[float, str]] = deque()  # (time, chat) of delivered sends, last second
        self._last_send_by_chat: dict[str, float] = {}
        self.rate_limited = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- life cycle --------------------------------------------------------------------------------------------
    def start(self) -> FakeTelegramAPI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop to notice; the default is 0.5 s
            name="fake-telegram-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()  # end long polls
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeTelegramAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to use as TELEGRAM_API_URL, e.g. ``http://127.0.0.1:41234``."""
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- what happened -----------------------------------------------------------------------------------------
    def calls(self, method: str | None = None, *, chat_id: int | str | None = None) -> list[Call]:
        """Requests received so far, oldest first, optionally of one method and chat."""
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (chat_id is None or c.chat_id == str(chat_id))
            ]

    def delivered(self, *, chat_id: int | str | None = None) -> list[Call]:
        """Messages (``sendMessage``, ``sendPhoto``) actually sent, oldest first."""
        return [c for c in self.calls(chat_id=chat_id) if c.delivered]

    def wait_for(self, count: int, *, timeout: float = 30.0, method: str | None = None) -> list[Call]:
        """Wait until ``count`` messages were delivered (or calls of ``method`` received); return them.

        :raises TimeoutError: if they do not come in time.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if (c.method == method if method else c.delivered)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {method or 'deliveries'} after {timeout} s")
                self._lock.wait(remaining)

    def reset(self) -> None:
        """Forget calls, scripts, updates and rate-limit history."""
        with self._lock:
            self._calls.clear()
            self._scripts.clear()
            self._updates.clear()
            self._recent_sends.clear()
            self._last_send_by_chat.clear()
            self.rate_limited = 0

    # --- scripting -----------------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str = "sendMessage",
        *,
        status: int,
        chat_id: int | str | None = None,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching calls with an error: 429 (give ``retry_after``), 403, 500, …"""
        default = {
            429: f"Too Many Requests: retry after {retry_after or 1}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description or default}
        if status == 429:
            body["parameters"] = {"retry_after": retry_after or 1}
        with self._lock:
            self._scripts.append(_Script(method, None if chat_id is None else str(chat_id), times, status, body))

    def delay_next(
        self, seconds: float, method: str = "sendMessage", *, chat_id: int | str | None = None, times: int = 1
    ) -> None:
        """Hold the next ``times`` matching calls for ``seconds`` before answering (to make clients time out)."""
        with self._lock:
            self._scripts.append(_Script(method, None if chat_id is None else str(chat_id), times, delay=seconds))

    def push_update(self, update: dict) -> dict:
        """Queue an update for ``getUpdates`` (its ``update_id`` is assigned here); return it.

        A ``callback_query`` in it may then be answered once.
        """
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            if isinstance(update.get("callback_query"), dict):
                self._open_queries.add(str(update["callback_query"]["id"]))
            self._updates.append(update)
            self._lock.notify_all()
        return update

    def push_updates(self, updates: list[dict]) -> list[dict]:
        """Queue several updates at once, so that one ``getUpdates`` answer carries them all (a double tap)."""
        with self._lock:
            pushed = [self.push_update(update) for update in updates]  # the condition's lock is re-entrant
        return pushed

    def push_message(self, chat_id: int, text: str, *, from_user: dict | None = None) -> dict:
        """Queue a private text message from ``chat_id`` as an update."""
        user = from_user or {"id": chat_id, "is_bot": False, "first_name": f"User {chat_id}", "language_code": "ru"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": user.get("first_name", "")},
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.push_update({"message": message})

    def push_callback(self, chat_id: int, data: str, *, message_id: int | None = None) -> dict:
        """Queue a press on an inline button (``callback_data``) under a message of the bot in ``chat_id``."""
        user = {"id": chat_id, "is_bot": False, "first_name": f"User {chat_id}", "language_code": "ru"}
        message = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot,
            "text": "…",
        }
        callback = {"id": str(next(self._update_ids) * 7919), "from": user, "chat_instance": str(chat_id)}
        return self.push_update({"callback_query": {**callback, "message": message, "data": data}})

    def expect_callback(self, query_id: str) -> None:
        """Let ``answerCallbackQuery`` answer ``query_id`` once: for a press delivered some other way than
        :meth:`push_update` (a test posting it to the webhook, say)."""
        with self._lock:
            self._open_queries.add(str(query_id))

    def add_file(self, file_id: str, content: bytes, *, file_path: str | None = None) -> None:
        """Make ``getFile`` know ``file_id`` and serve ``content`` for it."""
        with self._lock:
            self._files[file_id] = (file_path or f"files/{file_id}", content)

    # --- the server side ---------------------------------------------------------------------------------------
    def _script_for(self, method: str, chat_id: str | None) -> _Script | None:
        for script in self._scripts:
            if script.method == method and (script.chat_id is None or script.chat_id == chat_id):
                script.times -= 1
                if script.times <= 0:
                    self._scripts.remove(script)
                return script
        return None

    def _flood_check(self, chat_id: str, now: float) -> int | None:
        """Seconds to tell the client to wait, or None when the send is within Telegram's limits."""
        while self._recent_sends and self._recent_sends[0][0] <= now - 1.0:
            self._recent_sends.popleft()
        last = self._last_send_by_chat.get(chat_id)
        if last is not None and now - last < self.chat_interval:
            return max(1, math.ceil(self.chat_interval - (now - last)))
        if len(self._recent_sends) >= self.global_per_second:
            return 1
        return None

    def _message(self, chat_id: Any, **content: Any) -> dict:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"},
            "from": self.bot,
            **content,
        }

    def _handle(self, call: Call, connection: socket.socket) -> tuple[int, dict]:
        with self._lock:
            self._calls.append(call)
            script = self._script_for(call.method, call.chat_id)
        if script is not None and script.delay:
            time.sleep(script.delay)
            if _client_gone(connection):
                with self._lock:
                    call.status = 0
                    self._lock.notify_all()
                return 0, {}
            script = None
        with self._lock:
            try:
                status, body = self._answer(call, script)
            except (KeyError, ValueError) as exc:
                status, body = 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
            call.status = status
            call.result = body.get("result")
            self._lock.notify_all()
        return status, body

    def _answer(self, call: Call, script: _Script | None) -> tuple[int, dict]:
        if script is not None and script.body is not None:
            return script.status, script.body
        method, params = call.method, call.params
        if self.token is not None and call.token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        refusal = self._refusal(method, params)
        if refusal is not None:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {refusal}"}
        if method in SEND_METHODS:
            chat = str(params["chat_id"])
            now = time.time()
            if self.enforce_limits:
                wait = self._flood_check(chat, now)
                if wait is not None:
                    self.rate_limited += 1
                    description = f"Too Many Requests: retry after {wait}"
                    return 429, {
                        "ok": False,
                        "error_code": 429,
                        "description": description,
                        "parameters": {"retry_after": wait},
                    }
            self._recent_sends.append((now, chat))
            self._last_send_by_chat[chat] = now
            if method == "sendMessage":
                content: dict[str, Any] = {"text": params.get("text", "")}
            elif method == "sendDocument":
                content = {"document": self._document(params, call.files)}
                if params.get("caption"):
                    content["caption"] = params["caption"]
            else:
                content = {"photo": [self._photo(params, call.files)]}
                if params.get("caption"):
                    content["caption"] = params["caption"]
            if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
                content["reply_markup"] = params["reply_markup"]  # Telegram returns inline keyboards only
            return 200, {"ok": True, "result": self._message(params["chat_id"], **content)}
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            content = {"text": params.get("text", "")}
            if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
                content["reply_markup"] = params["reply_markup"]
            message = self._message(params.get("chat_id", 0), **content)
            message["message_id"] = int(params.get("message_id", message["message_id"]))
            return 200, {"ok": True, "result": message}
        if method == "getMe":
            return 200, {"ok": True, "result": self.bot}
        if method == "getFile":
            file_id = str(params["file_id"])
            if file_id not in self._files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            path, content = self._files[file_id]
            result = {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": len(content), "file_path": path}
            return 200, {"ok": True, "result": result}
        return 200, {"ok": True, "result": True}

    def _refusal(self, method: str, params: dict) -> str | None:
        """What Telegram would say refusing this call (without "Bad Request: "), or None when it would take it."""
        if method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id", ""))
            if query_id not in self._open_queries:
                return QUERY_INVALID
            if len(str(params.get("text") or "")) > CALLBACK_ANSWER_LIMIT:
                return "MESSAGE_TOO_LONG"  # the query stays open: the bot may answer it again, shorter
            self._open_queries.discard(query_id)
            return None
        html = str(params.get("parse_mode") or "").lower() == "html"
        try:
            if method in {"sendMessage", "editMessageText"}:
                text = str(params.get("text") or "")
                text = (html_text(text) if html else text).strip()
                if not text:
                    return "message text is empty"
                if len(text) > TEXT_LIMIT:
                    return "message is too long"
            elif method in {"sendPhoto", "sendDocument", "editMessageCaption"}:
                caption = str(params.get("caption") or "")
                if len((html_text(caption) if html else caption).strip()) > CAPTION_LIMIT:
                    return "message caption is too long"
        except EntitiesError as exc:
            return f"can't parse entities: {exc}"
        return None

    def _photo(self, params: dict, files: dict[str, bytes]) -> dict:
        if "photo" in files:
            file_id = f"photo-{len(self._files) + 1}"
            self._files[file_id] = (f"photos/{file_id}.jpg", files["photo"])
        else:
            file_id = str(params["photo"])
        size = len(self._files.get(file_id, ("", b""))[1])
        return {"file_id": file_id, "file_unique_id": file_id[-8:], "width": 640, "height": 480, "file_size": size}

    def _document(self, params: dict, files: dict[str, bytes]) -> dict:
        if "document" in files:
            file_id = f"document-{len(self._files) + 1}"
            self._files[file_id] = (f"documents/{file_id}", files["document"])
        else:
            file_id = str(params["document"])
        size = len(self._files.get(file_id, ("", b""))[1])
        return {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": size}

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()  # confirmed by the offset, as in the real API
                if self._updates or self._stopping:
                    return list(itertools.islice(self._updates, limit))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._lock.wait(remaining)

    def _file(self, token: str, path: str) -> bytes | None:
        with self._lock:
            for file_path, content in self._files.values():
                if file_path == path:
                    return content
        return None


class EntitiesError(ValueError):
    """Markup Telegram cannot parse; the message is tdlib's, which the Bot API gives after "can't parse entities: "."""


HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "span"}  # styles
    | {"a", "tg-emoji", "code", "pre", "blockquote"}
)
_BLANK = frozenset(b" \t\r\n\v\0")  # tdlib's is_space; the end of the text (read as 0) counts as one too
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}


def html_text(markup: str) -> str:
    """Return the text Telegram shows for ``markup`` sent with parse_mode HTML (tags gone, entities decoded).

    Modelled on tdlib's ``parse_html``, which the Bot API uses, including where it is lenient: attributes it does
    not know are ignored, ``</>`` closes the innermost tag, an ``&`` that starts no known entity is kept.

    :raises EntitiesError: with tdlib's description of the first problem, offsets in bytes of UTF-8.
    """
    src = markup.encode("utf-8")
    size = len(src)

    def at(i: int) -> int:
        return src[i] if i < size else 0

    def name(begin: int, end: int) -> str:
        return src[begin:end].lower().decode("utf-8", "replace")  # bytes.lower: ASCII only, like tdlib's to_lower

    out: list[str] = []
    kept = 0  # characters in out, to tell an empty entity from a full one
    open_tags: list[tuple[str, str, int]] = []  # (tag, argument, characters before it)
    i = 0
    while i < size:
        c = src[i]
        if c == ord("&"):
            code, end = _html_entity(src, i)
            if code:
                if 0xD800 <= code <= 0xDFFF:
                    raise EntitiesError(
                        "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
                        "surrogate code units"
                    )
                out.append(chr(code))
                kept += 1
                i = end
                continue
        if c != ord("<"):
            end = i + 1
            while end < size and src[end] not in b"&<":
                end += 1
            chunk = src[i:end].decode("utf-8")
            out.append(chunk)
            kept += len(chunk)
            i = end
            continue
        begin, i = i, i + 1
        if at(i) != ord("/"):
            while at(i) not in _BLANK and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise EntitiesError(f"Unclosed start tag at byte offset {begin}")
            tag = name(begin + 1, i)
            if tag not in HTML_TAGS:
                raise EntitiesError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while i < size and at(i) in _BLANK:
                    i += 1
                if at(i) == ord(">"):
                    break
                if at(i) == 0:
                    raise EntitiesError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                attribute_begin = i
                while at(i) not in _BLANK and at(i) not in b"=>":
                    i += 1
                attribute = name(attribute_begin, i)
                if not attribute:
                    raise EntitiesError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
                while i < size and at(i) in _BLANK:
                    i += 1
                if at(i) != ord("="):  # an attribute without a value, such as blockquote's "expandable"
                    continue
                i += 1
                while i < size and at(i) in _BLANK:
                    i += 1
                if at(i) == 0:
                    raise EntitiesError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in b"'\"":  # a name token: letters, digits, periods and hyphens, any case
                    token_begin = i
                    while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                        i += 1
                    value = name(token_begin, i)
                    if at(i) not in _BLANK and at(i) != ord(">"):
                        raise EntitiesError(f"Unexpected end of name token at byte offset {token_begin}")
                else:
                    quote, i = at(i), i + 1
                    literal = bytearray()
                    while at(i) != quote and i < size:
                        code, end = _html_entity(src, i) if at(i) == ord("&") else (0, i)
                        if code:
                            literal += chr(code).encode("utf-8", "surrogatepass")
                            i = end
                        else:
                            literal.append(at(i))
                            i += 1
                    if at(i) == quote:
                        i += 1
                    value = literal.decode("utf-8", "replace")
                if at(i) == 0:
                    raise EntitiesError(f"Unclosed start tag at byte offset {begin}")
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntitiesError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
            open_tags.append((tag, argument, kept))
            i += 1  # the ">"
            continue
        if not open_tags:
            raise EntitiesError(f"Unexpected end tag at byte offset {begin}")
        while at(i) not in _BLANK and at(i) != ord(">"):
            i += 1
        end_tag = name(begin + 2, i)
        while i < size and at(i) in _BLANK:
            i += 1
        if at(i) != ord(">"):
            raise EntitiesError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, start = open_tags.pop()
        if end_tag and end_tag != tag:
            raise EntitiesError(f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", found "</{end_tag}>"')
        if tag == "tg-emoji" and kept > start and not (argument.isdigit() and int(argument) > 0):
            raise EntitiesError("Invalid custom emoji identifier specified")
        i += 1
    if open_tags:
        raise EntitiesError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    return "".join(out)


def _html_entity(src: bytes, pos: int) -> tuple[int, int]:
    """The code point of the character reference at ``src[pos]`` (an ``&``) and where it ends; (0, pos) if none."""
    end, code = pos + 1, 0
    if src[end : end + 1] == b"#":
        end += 1
        if src[end : end + 1] == b"x":
            end += 1
            while end < len(src) and chr(src[end]) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(src[end]), 16)
                end += 1
        else:
            while end < len(src) and chr(src[end]) in "0123456789":
                code = code * 10 + int(chr(src[end]))
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < len(src) and chr(src[end]).isascii() and chr(src[end]).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(src[pos + 1 : end])
        if named is None:
            return 0, pos
        code = ord(named)
    return code, end + 1 if src[end : end + 1] == b";" else end


def _client_gone(connection: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTelegramAPI
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    disable_nagle_algorithm = True  # headers and body go in two writes: without this, 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        body = self._body()
        segments = parts.path.strip("/").split("/")
        if len(segments) >= 3 and segments[0] == "file" and segments[1].startswith("bot"):
            content = self.fake._file(segments[1][3:], "/".join(segments[2:]))
            if content is None:
                self._send(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
            else:
                self._send(200, content, content_type="application/octet-stream")
            return
        if len(segments) != 2 or not segments[0].startswith("bot"):
            self._send(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
            return
        token, method = segments[0][3:], segments[1]
        params, files = _parse(self.headers.get("Content-Type", ""), body)
        params = {**dict(parse_qsl(parts.query)), **params}
        if method == "getUpdates":
            self.fake._calls.append(Call(method, params, time.time(), token, status=200))
            result = self.fake._get_updates(params)
            self._send(200, json.dumps({"ok": True, "result": result}).encode())
            return
        call = Call(method=method, params=params, at=time.time(), token=token, files=files)
        status, answer = self.fake._handle(call, self.connection)
        if status == 0:
            self.close_connection = True
            return
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(answer.get("parameters", {}).get("retry_after", 1))
        self._send(status, json.dumps(answer).encode(), headers=headers)

    def _body(self) -> bytes:
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []  # aiohttp sends multipart uploads chunked
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(
        self, status: int, body: bytes, *, content_type: str = "application/json", headers: dict | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Parameters and uploaded files of a Bot API call, whichever way the client encoded them."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if not body:
        return params, files
    if content_type.startswith("application/json"):
        params = json.loads(body)
    elif content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                files[name] = payload
            else:
                params[name] = payload.decode()
    else:
        params = dict(parse_qsl(body.decode()))
    for key, value in list(params.items()):
        # aiogram names an upload "attach://<part>" and sends it in that part.
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            files[key] = files.pop(value[9:])
            del params[key]
    for key in _JSON_PARAMS & params.keys():
        if isinstance(params[key], str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params, files
