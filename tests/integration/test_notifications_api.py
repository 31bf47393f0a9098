"""The notifications API through HTTP: who may send and edit templates, bad input, history, preferences, bulk."""

from __future__ import annotations

import pytest

from tests.factories import person, signed_in
from ukbot.notifications.models import ChannelSetting, Notification, Template
from ukbot.notifications.tasks import bulk_send
from ukbot.users import services as users

pytestmark = pytest.mark.django_db


def _ok(response, status: int = 200):
    assert response.status_code == status, response.content
    return response.json()["data"]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] == code
    return body


@pytest.mark.parametrize("role", ["applicant", "executor", "inspector"])
def test_only_managers_and_admins_send_bulk_send_and_edit_templates(role):
    caller, other = signed_in(person(role)), person("applicant")
    template = Template.objects.first()

    for method, path, body in [
        ("post", "/api/v1/notifications/send", {"account_id": other, "text": "Hi"}),
        ("post", "/api/v1/notifications/bulk", {"audience": {"role": "applicant"}, "text": "Hi"}),
        ("get", "/api/v1/notifications/templates", None),
        (
            "post",
            "/api/v1/notifications/templates",
            {"event_type": "request.created", "channel": "sms", "language": "ru", "body": "{number}"},
        ),
        ("patch", f"/api/v1/notifications/templates/{template.pk}", {"body": "x"}),
        ("get", f"/api/v1/notifications/history?account_id={other}", None),
    ]:
        _error(getattr(caller, method)(path, body, format="json"), 403, "PERMISSION_DENIED")
    assert not Notification.objects.exists()


def test_anonymous_callers_get_401():
    from rest_framework.test import APIClient

    _error(APIClient().get("/api/v1/notifications/preferences"), 401, "NOT_AUTHENTICATED")


def test_a_manager_sends_typed_text_escaped_and_a_template_in_the_persons_language():
    manager, resident = signed_in(person("manager")), person("applicant", language="en")

    sent = _ok(
        manager.post("/api/v1/notifications/send", {"account_id": resident, "text": "Water <off> & on"}, format="json"),
        202,
    )
    assert sent["queued"] is True
    assert sent["notification"]["text"] == "Water &lt;off&gt; &amp; on"
    assert sent["notification"]["event_type"] == "notification.message"

    templated = _ok(
        manager.post(
            "/api/v1/notifications/send",
            {
                "account_id": resident,
                "template": "request.status_changed",
                "variables": {"number": "260101-001", "status": "done", "old_status": "new", "reason": "<x>"},
            },
            format="json",
        ),
        202,
    )["notification"]
    assert templated["language"] == "en"
    assert templated["text"] == "Request <b>260101-001</b> is now “done” (was “new”).\n&lt;x&gt;"


def test_a_send_to_a_person_with_the_channel_off_is_not_queued():
    manager, resident = signed_in(person("manager")), person("applicant")
    ChannelSetting.objects.create(account_id=resident, channel="telegram", enabled=False)

    sent = _ok(manager.post("/api/v1/notifications/send", {"account_id": resident, "text": "Hi"}, format="json"), 202)

    assert sent == {"queued": False, "notification": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "Hi", "template": "request.created"}, "text"),
        ({}, "text"),
        ({"template": "request.exploded"}, "template"),
        ({"template": "request.created", "variables": {"password": "x"}}, "variables"),
        ({"text": "Hi", "channel": "pigeon"}, "channel"),
        ({"text": "Hi", "colour": "red"}, "colour"),
    ],
)
def test_bad_sends_are_refused_naming_the_field(body, field):
    manager, resident = signed_in(person("manager")), person("applicant")

    error = _error(
        manager.post("/api/v1/notifications/send", {"account_id": resident} | body, format="json"),
        400,
        "VALIDATION_ERROR",
    )

    assert field in {detail["field"] for detail in error["details"]}
    assert not Notification.objects.exists()


def test_templates_are_listed_with_their_variables_and_unknown_variables_are_refused_by_name():
    manager = signed_in(person("manager"))

    listed = manager.get("/api/v1/notifications/templates?event_type=request.assigned&channel=telegram&language=uz")
    (row,) = _ok(listed)
    assert row["variables"] == ["number", "category", "urgency", "status", "address", "description", "executor"]
    assert row["buttons"][0][0] == {"text": "Ishni boshlash", "callback_data": "req:start:{number}"}

    error = _error(
        manager.patch(f"/api/v1/notifications/templates/{row['id']}", {"body": "{number} {secret}"}, format="json"),
        400,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["field"] == "body" and "Unknown variables: secret." in error["details"][0]["message"]

    changed = _ok(
        manager.patch(f"/api/v1/notifications/templates/{row['id']}", {"body": "<b>{number}</b>!"}, format="json")
    )
    assert changed["body"] == "<b>{number}</b>!" and changed["updated_by"] is not None


def test_a_new_template_is_created_once_per_kind_channel_and_language():
    manager = signed_in(person("manager"))
    body = {"event_type": "request.assigned", "channel": "sms", "language": "ru", "body": "Заявка {number}"}

    created = _ok(manager.post("/api/v1/notifications/templates", body, format="json"), 201)
    assert created["channel"] == "sms"
    _error(manager.post("/api/v1/notifications/templates", body, format="json"), 409, "CONFLICT")
    _error(
        manager.post("/api/v1/notifications/templates", body | {"language": "de"}, format="json"),
        400,
        "VALIDATION_ERROR",
    )


def test_the_preview_renders_with_samples_and_escapes_them():
    manager = signed_in(person("manager"))

    preview = _ok(
        manager.post(
            "/api/v1/notifications/templates/preview",
            {"event_type": "request.created", "channel": "telegram", "body": "{description}"},
            format="json",
        )
    )

    assert preview["text"] == "Water is leaking from the ceiling &lt;b&gt;"


def test_history_is_ones_own_and_managers_read_anyones():
    manager_id, resident = person("manager"), person("applicant")
    manager = signed_in(manager_id)
    manager.post("/api/v1/notifications/send", {"account_id": resident, "text": "Hi"}, format="json")

    own = signed_in(resident).get("/api/v1/notifications/history")
    assert [row["text"] for row in _ok(own)] == ["Hi"]
    assert own.json()["meta"]["total"] == 1
    assert _ok(manager.get("/api/v1/notifications/history")) == []
    assert [row["account_id"] for row in _ok(manager.get(f"/api/v1/notifications/history?account_id={resident}"))] == [
        resident
    ]


def test_preferences_round_trip_and_write_channel_settings():
    resident = person("applicant")
    client = signed_in(resident)

    assert _ok(client.get("/api/v1/notifications/preferences")) == {
        "channels": {"telegram": True, "email": False, "sms": False, "push": False},
        "time_zone": "Asia/Tashkent",
        "quiet_from": None,
        "quiet_to": None,
        "follow_all": False,
        "messages": {"progress": True},
    }
    changed = _ok(
        client.put(
            "/api/v1/notifications/preferences",
            {
                "channels": {"email": True, "telegram": False},
                "time_zone": "Europe/London",
                "quiet_from": "22:00",
                "quiet_to": "07:00",
                "follow_all": True,
            },
            format="json",
        )
    )

    assert changed == {
        "channels": {"telegram": False, "email": True, "sms": False, "push": False},
        "time_zone": "Europe/London",
        "quiet_from": "22:00:00",
        "quiet_to": "07:00:00",
        "follow_all": True,
        "messages": {"progress": True},
    }
    assert ChannelSetting.objects.get(account_id=resident, channel="telegram").disabled_reason == "user"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"quiet_from": "22:00"}, "quiet_to"),
        ({"quiet_from": "25:00", "quiet_to": "07:00"}, "quiet_from"),
        ({"channels": {"pigeon": True}}, "channels.pigeon"),
        # quiet hours are HH:MM[:SS] on the person's clock, as the document's pattern says (decision 0026)
        ({"quiet_from": "00:00:00Z", "quiet_to": "07:00"}, "quiet_from"),
        ({"quiet_from": "22:00", "quiet_to": "07:00:00+05:00"}, "quiet_to"),
        ({"quiet_from": "22:00:00.5", "quiet_to": "07:00"}, "quiet_from"),
        ({"quiet_from": 2200, "quiet_to": "07:00"}, "quiet_from"),
        # JSON types are the document's: 0/1 are not booleans, a number is not text
        ({"follow_all": 1}, "follow_all"),
        ({"channels": {"email": "yes"}}, "channels.email"),
        ({"time_zone": 5}, "time_zone"),
    ],
)
def test_bad_preferences_are_refused(body, field):
    client = signed_in(person("applicant"))

    error = _error(client.put("/api/v1/notifications/preferences", body, format="json"), 400, "VALIDATION_ERROR")

    assert field in {detail["field"] for detail in error["details"]}


def test_a_bulk_send_is_queued_and_reports_its_progress(django_capture_on_commit_callbacks):
    manager_id = person("manager")
    manager = signed_in(manager_id)
    executors = [person("executor") for _ in range(3)]
    users.profile_block(account_id=executors[2])  # blocked people are left out
    ChannelSetting.objects.create(account_id=executors[1], channel="telegram", enabled=False)

    with django_capture_on_commit_callbacks(execute=False):
        job = _ok(
            manager.post(
                "/api/v1/notifications/bulk", {"audience": {"role": "executor"}, "text": "Meeting at 9"}, format="json"
            ),
            202,
        )
    assert job["status"] == "queued" and job["total"] == 2 and job["queued"] == 0 and job["progress"] == 0

    bulk_send(job_id=job["id"])
    bulk_send(job_id=job["id"])  # a second run (a retried task) changes nothing

    done = _ok(manager.get(f"/api/v1/notifications/bulk/{job['id']}"))
    assert (done["status"], done["total"], done["queued"], done["skipped"], done["progress"]) == ("done", 2, 1, 1, 1.0)
    assert done["delivery"]["queued"] == 1
    assert list(Notification.objects.values_list("account_id", "bulk_job_id")) == [(executors[0], job["id"])]


def test_bad_bulk_audiences_are_refused():
    manager = signed_in(person("manager"))

    for audience, field in [
        ({"role": "king"}, "audience.role"),
        ({"building_id": 999999}, "audience.building_id"),
        ({"account_ids": []}, "audience.account_ids"),
        ({"role": "executor", "building_id": 1}, "audience"),
    ]:
        error = _error(
            manager.post("/api/v1/notifications/bulk", {"audience": audience, "text": "x"}, format="json"),
            400,
            "VALIDATION_ERROR",
        )
        assert error["details"][0]["field"] == field
