"""Templates: validation names unknown variables, values are escaped for Telegram, defaults are complete."""

from __future__ import annotations

import pytest
from django.utils import translation

from ukbot.core.errors import ValidationFailedError
from ukbot.notifications import defaults, templates
from ukbot.notifications.defaults import TemplateSource


def _problems(**kwargs) -> list[tuple[str | None, str]]:
    base = {"kind": "request.created", "channel": "telegram", "title": "", "body": "ok", "buttons": ()}
    with translation.override("en"), pytest.raises(ValidationFailedError) as caught:
        templates.validate(**(base | kwargs))
    with translation.override("en"):  # the messages are read in English here
        return [(detail.field, str(detail.message)) for detail in caught.value.details]


def test_an_unknown_variable_is_refused_by_name():
    problems = _problems(body="Request {number} for {flat} by {who}")

    assert problems == [
        (
            "body",
            "Unknown variables: flat, who. This kind of message knows: number, category, urgency, status, address, "
            "description.",
        )
    ]


def test_unknown_variables_in_the_title_and_the_buttons_are_refused_too():
    problems = _problems(title="{secret}", buttons=[[{"text": "Go", "callback_data": "req:start:{token}"}]])

    assert [field for field, _message in problems] == ["title", "buttons[0][0].callback_data"]
    assert "secret" in problems[0][1] and "token" in problems[1][1]


@pytest.mark.parametrize("body", ["{number.__class__}", "{0}", "{number!r}", "{number:>9999}", "{number[0]}"])
def test_only_plain_names_are_allowed(body):
    (problem,) = _problems(body=body)

    assert problem[0] == "body" and "Use plain names" in problem[1]


def test_broken_braces_and_an_unknown_kind_are_refused():
    assert _problems(body="{number")[0][0] == "body"
    assert _problems(kind="request.exploded") == [("event_type", "Unknown kind of message.")]


def test_telegram_tags_must_be_known_and_closed():
    (problem,) = _problems(body="<b>{number}</i> <script>x</script>")

    assert problem[0] == "body" and "<script>" in problem[1] and "</i>" in problem[1]


def test_buttons_must_have_the_telegram_shape_and_only_telegram_has_them():
    assert _problems(buttons=[[{"text": "Go"}]])[0][0] == "buttons"
    assert _problems(buttons=[{"text": "Go", "url": "https://x"}])[0][0] == "buttons"
    assert _problems(channel="email", buttons=[[{"text": "Go", "url": "https://x"}]]) == [
        ("buttons", "Only Telegram messages have buttons.")
    ]


def test_literal_braces_and_a_good_template_pass():
    templates.validate(kind="request.created", channel="telegram", title="{number}", body="{{x}} <b>{number}</b>")


def test_values_are_html_escaped_for_telegram_but_not_for_email():
    source = TemplateSource(title="Re {description}", body="<b>{number}</b>: {description}")
    variables = {"number": "260101-001", "description": '<a href="x">pwn</a> & co'}

    telegram = templates.render_source(source, kind="request.created", channel="telegram", variables=variables)
    email = templates.render_source(source, kind="request.created", channel="email", variables=variables)

    assert telegram.text == "<b>260101-001</b>: &lt;a href=&quot;x&quot;&gt;pwn&lt;/a&gt; &amp; co"
    assert email.text == '<b>260101-001</b>: <a href="x">pwn</a> & co'
    assert telegram.title == email.title == 'Re <a href="x">pwn</a> & co'


def test_a_typed_newline_does_not_reach_the_title_and_long_values_are_cut():
    source = TemplateSource(title="{description}", body="{description}")

    rendered = templates.render_source(
        source, kind="request.created", channel="telegram", variables={"description": "a\r\nBcc: x@y\n" + "z" * 5000}
    )

    assert rendered.title.startswith("a Bcc: x@y z") and len(rendered.title) == 200
    assert "\n" not in rendered.title
    assert len(rendered.text) == templates.MAX_VALUE


def test_buttons_take_the_variables_and_an_overlong_callback_is_dropped():
    source = TemplateSource(
        title="",
        body="x",
        buttons=(
            ({"text": "Start", "callback_data": "req:start:{number}"}, {"text": "Y", "callback_data": "{description}"}),
        ),
    )

    rendered = templates.render_source(
        source, kind="request.created", channel="telegram", variables={"number": "260101-001", "description": "d" * 70}
    )

    assert rendered.buttons_json() == [[{"text": "Start", "callback_data": "req:start:260101-001"}]]


@pytest.mark.parametrize("kind", sorted(defaults.TEXTS))
@pytest.mark.parametrize("channel", ["telegram", "email", "sms"])
@pytest.mark.parametrize("language", defaults.LANGUAGES)
def test_every_shipped_template_passes_its_own_validation(kind, channel, language):
    source = defaults.default_for(kind, channel, language)

    templates.validate(kind=kind, channel=channel, title=source.title, body=source.body, buttons=source.buttons)


def test_every_kind_has_texts_in_every_language():
    assert sorted(defaults.TEXTS) == sorted(defaults.VARIABLES)
    assert all(set(texts) == set(defaults.LANGUAGES) for texts in defaults.TEXTS.values())


def test_uzbek_texts_use_the_modifier_letters():
    uzbek = " ".join(title + body for texts in defaults.TEXTS.values() for title, body in [texts["uz"]])
    uzbek += " ".join(defaults.LABELS["uz"].values())

    assert "\u02bb" in uzbek  # turned comma, as in o-turned-comma and g-turned-comma
    assert "\u02bc" in uzbek  # modifier apostrophe, the tutuq belgisi
    for wrong in ("\u2018", "\u2019", "'", "`", "o'", "g'"):
        assert wrong not in uzbek


def test_email_defaults_have_no_tags_and_sms_is_the_short_title():
    email = defaults.default_for("request.assigned", "email", "en")
    sms = defaults.default_for("request.assigned", "sms", "en")

    assert "<b>" not in email.body and email.buttons == ()
    assert sms == TemplateSource(title="", body="New request {number}")


def test_new_assignment_and_confirmed_work_have_their_buttons():
    assigned = defaults.default_buttons("request.assigned", "en")
    confirmed = defaults.default_buttons("request.confirmed", "uz")

    assert assigned[0][0] == {"text": "Start work", "callback_data": "req:start:{number}"}
    assert confirmed == (
        (
            {"text": "Qabul qilish", "callback_data": "req:accept:{number}"},
            {"text": "Qaytarish", "callback_data": "req:return:{number}"},
        ),
    )
