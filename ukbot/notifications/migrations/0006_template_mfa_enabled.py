"""Ship the template of ``auth.mfa_enabled``: the person is told that two-step sign-in was turned on (issue 15).

Rows go in as migrations 0003 and 0005 put theirs: from :mod:`ukbot.notifications.defaults`, leaving alone any row
already there. Going back removes the rows nobody edited.
"""

from django.db import migrations

NEW_KINDS = ("auth.mfa_enabled",)


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


def backwards(apps, schema_editor):
    from ukbot.notifications import defaults

    Template = apps.get_model("notifications", "Template")
    for row in Template.objects.filter(event_type__in=NEW_KINDS):
        source = defaults.default_for(row.event_type, row.channel, row.language)
        if source is not None and row.updated_by is None and (row.title, row.body) == (source.title, source.body):
            row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_templates_by_need"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
