"""The templates admin checks templates on save and previews them; history pages are read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ukbot.notifications.models import Notification, Template

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["template", "notification", "bulkjob", "preference"])
def test_every_changelist_renders(admin_client, model):
    Notification.objects.create(account_id=1, channel="telegram", event_type="request.created", text="Hi")

    assert admin_client.get(reverse(f"admin:notifications_{model}_changelist")).status_code == 200


def test_the_template_page_shows_its_variables_and_a_preview_with_escaped_samples(admin_client):
    template = Template.objects.get(event_type="request.created", channel="telegram", language="en")

    page = admin_client.get(reverse("admin:notifications_template_change", args=[template.pk])).content.decode()

    assert "{number}, {category}, {urgency}, {status}, {address}, {description}" in page
    # the sample description ends with a typed "<b>": the preview shows the message's HTML, escaped once more
    assert "Water is leaking from the ceiling &amp;lt;b&amp;gt;" in page
    assert "Request &lt;b&gt;260115-007&lt;/b&gt; is received." in page


def test_saving_a_template_with_an_unknown_variable_shows_the_error_and_keeps_the_old_text(admin_client):
    template = Template.objects.get(event_type="request.created", channel="telegram", language="ru")
    url = reverse("admin:notifications_template_change", args=[template.pk])
    form = {
        "event_type": template.event_type,
        "channel": template.channel,
        "language": template.language,
        "title": template.title,
        "body": "Заявка {number} для {flat}",
        "buttons": "[]",
    }

    refused = admin_client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    saved = admin_client.post(url, form | {"body": "Заявка <b>{number}</b>"})

    assert refused.status_code == 200
    assert "Unknown variables: flat." in refused.content.decode()
    assert saved.status_code == 302
    template.refresh_from_db()
    assert template.body == "Заявка <b>{number}</b>" and template.updated_by is not None


def test_notifications_cannot_be_added_or_changed_in_the_admin(admin_client):
    row = Notification.objects.create(account_id=1, channel="telegram", event_type="request.created", text="Hi")

    assert admin_client.get(reverse("admin:notifications_notification_add")).status_code == 403
    page = admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
