"""Verification of Telegram sign-in data: the Login Widget's fields and a Mini App's ``initData``.

Both are signed with the bot's token (https://core.telegram.org/widgets/login#checking-authorization and
https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app): the data-check-string is every
field but ``hash``, sorted by key, as ``key=value`` lines. The Login Widget's key is SHA-256(token); a Mini App's
is HMAC-SHA-256(key="WebAppData", message=token). ``auth_date`` must be recent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl


class TelegramDataError(Exception):
    """The data is not signed by our bot (``reason`` "bad_signature") or is too old (``reason`` "stale")."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    last_name: str
    username: str
    language_code: str


def _check(fields: dict[str, str], received_hash: str, secret: bytes, *, max_age: int, now: float | None) -> None:
    data_check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    expected = hmac.new(secret, data_check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(received_hash).lower()):
        raise TelegramDataError("bad_signature", "the data is not signed by this bot")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise TelegramDataError("bad_signature", "auth_date is missing or not a number") from None
    age = (time.time() if now is None else now) - auth_date
    if age > max_age or age < -60:
        raise TelegramDataError("stale", f"auth_date is {int(age)} s old, more than {max_age} s allowed")


def verify_login_widget(data: dict, *, bot_token: str, max_age: int, now: float | None = None) -> TelegramUser:
    """Check Login Widget data (``id``, ``first_name``, …, ``auth_date``, ``hash``) and return the user.

    :raises TelegramDataError: for a wrong signature or stale data.
    """
    fields = {str(k): str(v) for k, v in data.items() if k != "hash" and v is not None}
    _check(fields, data.get("hash", ""), hashlib.sha256(bot_token.encode()).digest(), max_age=max_age, now=now)
    return TelegramUser(
        id=int(fields["id"]),
        first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""),
        username=fields.get("username", ""),
        language_code="",
    )


def verify_init_data(init_data: str, *, bot_token: str, max_age: int, now: float | None = None) -> TelegramUser:
    """Check a Mini App's ``initData`` query string and return the user it carries.

    :raises TelegramDataError: for a wrong signature, stale data, or no user in the data.
    """
    pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=False)
    fields = dict(pairs)
    received = fields.pop("hash", "")
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    _check(fields, received, secret, max_age=max_age, now=now)
    try:
        user = json.loads(fields["user"])
        return TelegramUser(
            id=int(user["id"]),
            first_name=str(user.get("first_name", "")),
            last_name=str(user.get("last_name", "")),
            username=str(user.get("username", "")),
            language_code=str(user.get("language_code", "")),
        )
    except (KeyError, ValueError, TypeError):
        raise TelegramDataError("bad_signature", "the signed data carries no user") from None


def sign_login_widget(data: dict, *, bot_token: str) -> dict:
    """Sign Login Widget fields as Telegram does (for tests and local tools); returns them with ``hash``."""
    fields = {str(k): str(v) for k, v in data.items()}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    digest = hmac.new(hashlib.sha256(bot_token.encode()).digest(), check.encode(), hashlib.sha256).hexdigest()
    return {**data, "hash": digest}


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """Build a signed Mini App ``initData`` query string (for tests and local tools)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})
