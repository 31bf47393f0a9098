"""Button data: what the notifications app writes on its buttons is what the bot reads, and every button of the bot
packs within Telegram's 64 bytes."""

from __future__ import annotations

import typing
from enum import Enum

import pytest
from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData

from bot.callbacks import RequestAction, RequestCb
from ukbot.notifications.defaults import TEXTS, default_buttons


def test_the_buttons_of_notifications_unpack_as_the_bots_request_actions():
    payloads = {
        button["callback_data"]
        for kind in TEXTS
        for language in ("ru", "uz", "en")
        for row in default_buttons(kind, language)
        for button in row
    }

    unpacked = [RequestCb.unpack(payload.format(number="261203-0042")) for payload in payloads]

    assert {data.action for data in unpacked} == {
        RequestAction.OPEN,
        RequestAction.START,
        RequestAction.ACCEPT,
        RequestAction.RETURN,
        RequestAction.ANSWER,  # the applicant's question (decision 0021)
    }
    assert {data.number for data in unpacked} == {"261203-0042"}


def test_data_with_an_action_the_bot_does_not_know_is_refused():
    with pytest.raises(ValueError):
        RequestCb.unpack("req:repaint:261203-0042")


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def _longest(annotation: typing.Any) -> typing.Any:
    """The longest value a field of this type packs to: the longest literal or member, a big id, a long text."""
    if typing.get_origin(annotation) is typing.Literal:
        return max(typing.get_args(annotation), key=len)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return max(annotation, key=lambda member: len(str(member.value)))
    if annotation is bool:
        return False  # packs as "0"
    if annotation is int:
        return 2**31 - 1  # ids and versions
    return "2612031-12345"  # a request number of a busy day; other texts (keys, ids) are shorter


def test_every_button_of_the_bot_packs_within_telegrams_limit():
    from bot.dispatcher import dispatcher

    dispatcher()  # imports every feature, and so every kind of button data
    kinds = {kind for kind in _subclasses(CallbackData) if kind.__module__.startswith("bot.")}

    longest = {
        kind.__name__: len(kind(**{n: _longest(f.annotation) for n, f in kind.model_fields.items()}).pack().encode())
        for kind in kinds
    }

    assert len(kinds) >= 20
    assert max(longest.values()) <= MAX_CALLBACK_LENGTH, longest
