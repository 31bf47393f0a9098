"""Adding and changing the templates of messages, each checked by :func:`ukbot.notifications.templates.validate`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.notifications import templates
from ukbot.notifications.models import Channel, Template


def _rows(buttons: Any) -> Any:
    """Button rows as lists (as JSON keeps them); a value of another shape is left as it is, for
    :func:`templates.validate` to refuse naming ``buttons`` (``[null]``, ``true`` and ``1`` are not rows)."""
    if buttons is None:
        return []
    if isinstance(buttons, list | tuple) and all(isinstance(row, list | tuple) for row in buttons):
        return [list(row) for row in buttons]
    return buttons


def _template_save(template: Template) -> Template:
    templates.validate(
        kind=template.event_type,
        channel=template.channel,
        title=template.title,
        body=template.body,
        buttons=template.buttons,
    )
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ConflictError(_("A template for this kind, channel and language exists; edit it.")) from None
    return template


@transaction.atomic
def template_create(
    *,
    event_type: str,
    channel: str,
    language: str,
    body: str,
    title: str = "",
    buttons: Iterable = (),
    actor_id: int | None,
) -> Template:
    """Add the template of a kind of message for a channel and language, checked first.

    :raises ValidationFailedError: unknown kind, channel, language or variables; bad tags or buttons.
    :raises ConflictError: that kind, channel and language has a template already.
    """
    if channel not in Channel.values:
        raise ValidationFailedError(details={"channel": _("Unknown channel.")})
    if language not in ("ru", "uz", "en"):
        raise ValidationFailedError(details={"language": _("Unknown language.")})
    return _template_save(
        Template(
            event_type=event_type,
            channel=channel,
            language=language,
            title=title,
            body=body,
            buttons=_rows(buttons),
            updated_by=actor_id,
        )
    )


@transaction.atomic
def template_update(*, template_id: int, actor_id: int | None, **changes: Any) -> Template:
    """Change a template's title, body or buttons, checked first.

    :raises NotFoundError: no such template.
    :raises ValidationFailedError: unknown fields or variables; bad tags or buttons.
    """
    unknown = sorted(set(changes) - {"title", "body", "buttons"})
    if unknown:
        raise ValidationFailedError(details={name: _("This field cannot be changed here.") for name in unknown})
    template = Template.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise NotFoundError(_("No such template."))
    for name, value in changes.items():
        setattr(template, name, _rows(value) if name == "buttons" else value)
    template.updated_by = actor_id
    return _template_save(template)
