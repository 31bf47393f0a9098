"""Ship the templates of decision 0021 (requests' moves told by what each person needs) and give the shipped
``assignment.failed`` messages their Open button.

Rows go in as migration 0003 put the first ones: from :mod:`ukbot.notifications.defaults`, leaving alone any row
already there. A shipped row gets the button only while nobody edited it (no ``updated_by``, the shipped title and
text, no buttons), so an admin's own version is kept. Going back removes the new kinds' rows nobody edited and the
button where it is still the one added here.
"""

from django.db import migrations

NEW_KINDS = (
    "request.work_done",
    "request.executor_assigned",
    "request.work_started",
    "request.sent_back",
    "request.question",
    "request.cancelled_by_staff",
    "request.awaiting_check",
)
# The Open button of assignment.failed as shipped here, per language (frozen: later changes to the defaults must
# not change what this migration did).
OPEN = {"ru": "Открыть", "uz": "Ochish", "en": "Open"}


def _open_button(language):
    return [[{"text": OPEN[language], "callback_data": "req:open:{number}"}]]


def _unedited(row, source):
    return row.updated_by is None and row.title == source.title and row.body == source.body


def forwards(apps, schema_editor):
    from ukbot.notifications import defaults

    Template = apps.get_model("notifications", "Template")
    rows = []
    for kind in NEW_KINDS:
        for channel in defaults.SHIPPED_CHANNELS:
            for language in defaults.LANGUAGES:
                source = defaults.default_for(kind, channel, language)
                if source is None:  # a kind renamed since: its rows come with the migration that renamed it
                    continue
                rows.append(
                    Template(
                        event_type=kind,
                        channel=channel,
                        language=language,
                        title=source.title,
                        body=source.body,
                        buttons=[list(row) for row in source.buttons],
                    )
                )
    Template.objects.bulk_create(rows, ignore_conflicts=True)

    for row in Template.objects.filter(event_type="assignment.failed", channel="telegram", language__in=OPEN):
        source = defaults.default_for("assignment.failed", "telegram", row.language)
        if source is not None and _unedited(row, source) and not row.buttons:
            row.buttons = _open_button(row.language)
            row.save(update_fields=["buttons"])


def backwards(apps, schema_editor):
    from ukbot.notifications import defaults

    Template = apps.get_model("notifications", "Template")
    for row in Template.objects.filter(event_type__in=NEW_KINDS):
        source = defaults.default_for(row.event_type, row.channel, row.language)
        if source is not None and _unedited(row, source):
            row.delete()
    for row in Template.objects.filter(event_type="assignment.failed", channel="telegram", language__in=OPEN):
        source = defaults.default_for("assignment.failed", "telegram", row.language)
        if source is not None and _unedited(row, source) and row.buttons == _open_button(row.language):
            row.buttons = []
            row.save(update_fields=["buttons"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_preference_progress_messages"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
