"""Telling a person: a message of a kind rendered from its template (``notify``, for the handlers), or one typed
by staff (``notification_send``); both go to the queue through ``delivery.enqueue``."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import NotFoundError, ValidationFailedError
from ukbot.notifications import templates
from ukbot.notifications.defaults import HTML_CHANNELS
from ukbot.notifications.models import Channel, Notification
from ukbot.notifications.services import delivery
from ukbot.notifications.services.preferences import _preference, channels_on, quiet_until
from ukbot.users import public as users_public

MANUAL = "notification.message"  # the kind of a message typed by staff (no template)
MAX_TEXT = 4000

Variables = dict[str, Any] | Callable[[str], dict[str, Any]]


def notify(
    *,
    account_id: int,
    kind: str,
    variables: Variables,
    dedupe: str,
    subject: str = "",
    urgent: bool = False,
    language: str | None = None,
    bulk_job_id: int | None = None,
) -> list[Notification]:
    """Queue the message of ``kind`` to the person on each channel they have on, in their language.

    ``variables`` is a dict or a function of the language (labels such as a status are translated per person).
    Quiet hours hold the message until they end unless it is ``urgent``. ``dedupe`` (an event id, a bulk job)
    with the person and channel makes the dedupe key, so running the same handler twice queues nothing new.
    """
    language = language or users_public.profile_language(account_id=account_id)
    values = variables(language) if callable(variables) else variables
    pref = _preference(account_id)
    not_before = (
        None
        if urgent
        else quiet_until(
            time_zone=pref.time_zone, quiet_from=pref.quiet_from, quiet_to=pref.quiet_to, now=timezone.now()
        )
    )
    queued = []
    for channel, on in channels_on(account_id=account_id).items():
        if not on:
            continue
        rendered = templates.render(kind=kind, channel=channel, language=language, variables=values)
        if rendered is None or not rendered.text:
            continue
        row = delivery.enqueue(
            account_id=account_id,
            channel=channel,
            text=rendered.text,
            title=rendered.title,
            buttons=rendered.buttons_json(),
            event_type=kind,
            subject=str(subject),
            language=language,
            dedupe_key=f"{dedupe}:{account_id}:{channel}",
            not_before=not_before,
            urgent=urgent,
            bulk_job_id=bulk_job_id,
        )
        if row is not None:
            queued.append(row)
    return queued


def _typed(text: Any, title: Any, *, channel: str) -> tuple[str, str]:
    text = (text or "").strip() if isinstance(text, str) else ""
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if not text or len(text) > MAX_TEXT or "\x00" in text or "\x00" in title or len(title) > 200:
        raise ValidationFailedError(details={"text": _("A message is 1 to 4000 characters of text.")})
    # typed by staff: shown as it is written, never as markup
    return (html.escape(text) if channel in HTML_CHANNELS else text), title


def _check_message(*, text: Any, template: Any, variables: Any, channel: str) -> None:
    if (text is None) == (template is None):
        raise ValidationFailedError(details={"text": _("Send either a text or a template with variables.")})
    if channel not in Channel.values:
        raise ValidationFailedError(details={"channel": _("Unknown channel.")})
    if template is not None:
        if template not in templates.kinds():
            raise ValidationFailedError(details={"template": _("Unknown kind of message.")})
        unknown = sorted(set(variables or {}) - set(templates.variables_of(template)))
        if unknown:
            raise ValidationFailedError(
                details={
                    "variables": _("Unknown variables: %(unknown)s. This kind of message knows: %(allowed)s.")
                    % {"unknown": ", ".join(unknown), "allowed": ", ".join(templates.variables_of(template))}
                }
            )
    else:
        _typed(text, "", channel=channel)


def _send_one(
    *,
    account_id: int,
    channel: str,
    text: str | None,
    title: str,
    template: str | None,
    variables: dict | None,
    urgent: bool,
    dedupe_key: str | None,
    bulk_job_id: int | None = None,
    language: str | None = None,
) -> Notification | None:
    language = language or users_public.profile_language(account_id=account_id)
    if template is not None:
        rendered = templates.render(kind=template, channel=channel, language=language, variables=variables or {})
        body, title, buttons, kind = rendered.text, rendered.title, rendered.buttons_json(), template
    else:
        body, title = _typed(text, title, channel=channel)
        buttons, kind = [], MANUAL
    not_before = None
    if not urgent:
        pref = _preference(account_id)
        not_before = quiet_until(
            time_zone=pref.time_zone, quiet_from=pref.quiet_from, quiet_to=pref.quiet_to, now=timezone.now()
        )
    return delivery.enqueue(
        account_id=account_id,
        channel=channel,
        text=body,
        title=title,
        buttons=buttons,
        event_type=kind,
        language=language,
        dedupe_key=dedupe_key,
        not_before=not_before,
        urgent=urgent,
        bulk_job_id=bulk_job_id,
    )


@transaction.atomic
def notification_send(
    *,
    sender_id: int,
    account_id: int,
    channel: str = Channel.TELEGRAM,
    text: str | None = None,
    title: str = "",
    template: str | None = None,
    variables: dict | None = None,
    urgent: bool = False,
) -> Notification | None:
    """Queue one message from staff to one person: typed text (escaped) or a template with variables, in the
    person's language. Returns None when the person has the channel off.

    :raises ValidationFailedError: neither or both of text and template; unknown template, variables or channel.
    :raises NotFoundError: the person has no profile.
    """
    _check_message(text=text, template=template, variables=variables, channel=channel)
    if users_public.access_profile(account_id=account_id).status == users_public.NO_PROFILE:
        raise NotFoundError(_("No such person."))
    return _send_one(
        account_id=account_id,
        channel=channel,
        text=text,
        title=title,
        template=template,
        variables=variables,
        urgent=urgent,
        dedupe_key=None,
    )
