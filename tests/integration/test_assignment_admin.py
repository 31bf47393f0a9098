"""Dispatch in the admin: the settings form refuses bad values and keeps a history; the log is read-only, filtered."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import executor, person
from tests.integration.test_assignment_api import _request
from tests.integration.test_requests_admin import _signed_in_admin
from ukbot.assignment import services as assignment
from ukbot.assignment.models import Assignment, Settings, SettingsChange

pytestmark = pytest.mark.django_db

SETTINGS = reverse("admin:assignment_settings_change", args=[1])
FORM = {
    "weight_skill": "1",
    "weight_travel": "2",
    "weight_load": "1.5",
    "weight_rating": "1",
    "weight_returns": "1",
    "weight_shift_time": "0.5",
    "capacity": "8",
    "road_factor": "1.3",
    "speed_kmh": "25",
    "track_record_days": "90",
}


@pytest.fixture
def dispatcher():
    account = person("manager", account_fields={"is_staff": True})
    user = get_user_model().objects.get(pk=account)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="assignment"))
    return account, _signed_in_admin(account)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight_skill": "-1"}, "weight_skill"),
        (dict.fromkeys(assignment.WEIGHT_FIELDS, "0"), None),
        ({"capacity": "0"}, "capacity"),
        ({"road_factor": "0.9"}, "road_factor"),
        ({"speed_kmh": "0"}, "speed_kmh"),
    ],
)
def test_the_settings_form_refuses_bad_values_and_changes_nothing(dispatcher, changes, field):
    _, client = dispatcher
    response = client.post(SETTINGS, {**FORM, **changes})

    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert (field or "__all__") in errors, errors
    assert Settings.objects.get(id=1).capacity == 8
    assert not SettingsChange.objects.exists()


def test_a_saved_change_is_recorded_with_who_and_old_and_new_and_shown(dispatcher):
    account, client = dispatcher
    assert client.get(reverse("admin:assignment_settings_changelist")).url == SETTINGS

    response = client.post(SETTINGS, {**FORM, "capacity": "5", "speed_kmh": "30"})

    assert response.status_code == 302, response.content
    change = SettingsChange.objects.get()
    assert change.changed_by == account
    assert change.changes == {"capacity": ["8", "5"], "speed_kmh": ["25.0", "30.0"]}
    assert "capacity: 8 → 5" in client.get(SETTINGS).content.decode()


def test_the_log_is_listed_read_only_with_filters(dispatcher):
    _, client = dispatcher
    number = _request()
    assignment.assignment_manual(number=number, executor_id=executor("plumber"), actor_id=1)
    row = Assignment.objects.get()
    log = reverse("admin:assignment_assignment_changelist")

    assert number in client.get(log).content.decode()
    assert number in client.get(log, {"algorithm": "manual", "overrode": "no"}).content.decode()
    assert number not in client.get(log, {"algorithm": "auto"}).content.decode()
    page = client.get(reverse("admin:assignment_assignment_change", args=[row.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:assignment_assignment_delete", args=[row.pk])).status_code == 403


def test_the_request_lists_assign_action_gives_new_requests_out_through_dispatch():
    from tests.integration.test_requests_admin import LIST, _act, _messages

    account = person("manager", account_fields={"is_staff": True})
    user = get_user_model().objects.get(pk=account)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="requests"))
    client = _signed_in_admin(account)
    assignment.settings_update(actor_id=None, capacity=1)
    plumber = executor("plumber")
    first, second = _request(), _request()

    done = _act(client, "assign_executor", [first, second], apply="1", executor=plumber)

    assert done.status_code == 302
    row = Assignment.objects.get()
    assert (row.request_number, row.algorithm, row.decided_by) == (first, "manual", account)
    [refusal, report] = _messages(client.get(LIST))
    assert refusal.startswith(f"{second}: ") and "as many open requests as the settings allow" in refusal
    assert report == "Assigned 1 request."
