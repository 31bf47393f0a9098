"""Requests' moves told by what each person needs (decision 0021): managers hear of completed work waiting for their
check, the applicant of what needs them (and of progress unless they turned it off), ``assignment.failed`` opens the
request, and the preferences API's ``messages`` switch refuses bad input.

Scenes are made as people make them: through the requests API (and the admin for the company's settings), carried to
the handlers by the event bus' relay. This module stays inside the notifications app's imports: other apps are
reached over HTTP only.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import time

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, ROLES, executor, media_file, person, signed_in
from ukbot.core.errors import ValidationFailedError
from ukbot.core.events.relay import drain
from ukbot.notifications import services
from ukbot.notifications.models import Notification, Preference, Template

pytestmark = pytest.mark.django_db


def told() -> list[tuple[int, str]]:
    """Run the relay, then return (and forget) the queued Telegram messages as (person, kind), sorted."""
    drain(max_seconds=10)
    rows = sorted(Notification.objects.filter(channel="telegram").values_list("account_id", "event_type"))
    Notification.objects.all().delete()
    return rows


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()["data"]


@dataclass
class Cast:
    """An applicant, a plumber and a manager, each signed in to the API; people speak English unless told."""

    applicant: int
    plumber: int
    manager: int
    as_applicant: APIClient
    as_plumber: APIClient
    as_manager: APIClient

    def file(self) -> str:
        body = {"category": "plumbing", "description": "The tap drips", "address": "Navoi 5, apt. 7"}
        return _ok(self.as_applicant.post("/api/v1/requests", body, format="json"), 201)["number"]

    def assign(self, number: str) -> None:
        _ok(self.as_manager.post(f"/api/v1/requests/{number}/assign", {"executor_id": self.plumber}, format="json"))

    def move(self, client: APIClient, number: str, status: str, reason: str = "") -> None:
        body = {"status": status, "reason": reason}
        _ok(client.put(f"/api/v1/requests/{number}/status", body, format="json"))

    def complete(self, number: str) -> None:
        body = {"photos": [media_file(self.plumber)]}
        _ok(self.as_plumber.post(f"/api/v1/requests/{number}/complete", body, format="json"))

    def in_progress(self) -> str:
        number = self.file()
        self.assign(number)
        self.move(self.as_plumber, number, "in_progress")
        told()
        return number


@pytest.fixture
def cast() -> Cast:
    applicant = person("applicant", language="en", first_name="Anna")
    plumber = executor("plumber")
    manager = person("manager", language="en", first_name="Mona")
    as_plumber = signed_in(plumber)
    renamed = {"first_name": "Aziz", "last_name": "Karimov", "language": "en"}
    _ok(as_plumber.patch(f"/api/v1/users/{plumber}", renamed, format="json"))
    people = Cast(applicant, plumber, manager, signed_in(applicant), as_plumber, signed_in(manager))
    told()
    return people


def _managers_check(value: bool) -> None:
    """Turn the company's manager checks on or off in the admin, as an admin would."""
    account = person("manager", account_fields={"is_staff": True})
    user = get_user_model().objects.get(pk=account)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="requests"))
    admin = Client()
    signed = admin.post("/admin/login/", {"username": user.username, "password": PASSWORD, "next": "/admin/"})
    assert signed.status_code == 302
    form = {"auto_accept_days": 3, "duplicate_window_hours": 24} | ({"manager_check": "on"} if value else {})
    saved = admin.post("/admin/requests/settings/1/change/", form)
    assert saved.status_code == 302, saved.content


def _message(account_id: int, kind: str) -> Notification:
    drain(max_seconds=10)
    return Notification.objects.get(account_id=account_id, event_type=kind, channel="telegram")


# --- managers: completed work waiting for their check ------------------------------------------------------------


def test_managers_hear_of_completed_work_waiting_for_their_check_with_an_open_button(cast):
    number = cast.in_progress()

    cast.complete(number)

    check = _message(cast.manager, "request.awaiting_check")
    assert check.title == f"Request {number} awaits your check"
    assert check.text.startswith(f"✅ The work on request <b>{number}</b> is done and awaits your check.\nPlumbing, ")
    assert "Navoi 5, apt. 7" in check.text
    assert check.text.endswith("\nExecutor: Aziz Karimov")
    assert check.buttons == [[{"text": "Open", "callback_data": f"req:open:{number}"}]]
    assert told() == sorted([(cast.applicant, "request.completed"), (cast.manager, "request.awaiting_check")])


def test_managers_are_not_told_when_they_do_not_check_work_and_the_applicant_is_asked_to_accept(cast):
    _managers_check(False)
    number = cast.in_progress()

    cast.complete(number)

    done = _message(cast.applicant, "request.work_done")
    assert done.text == (
        f"Aziz Karimov reports the work on request <b>{number}</b> done.\n"
        "Check it, then accept it or return it for rework."
    )
    assert done.buttons == [
        [
            {"text": "Accept", "callback_data": f"req:accept:{number}"},
            {"text": "Return", "callback_data": f"req:return:{number}"},
        ]
    ]
    assert told() == [(cast.applicant, "request.work_done")]  # no manager, no "completed" before it


def test_work_a_manager_checked_meanwhile_waits_for_nobody(cast):
    number = cast.in_progress()
    cast.complete(number)

    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/confirm", {}, format="json"))  # before the relay ran

    assert told() == [(cast.applicant, "request.confirmed")]


# --- the applicant: what needs them, not every move --------------------------------------------------------------


def test_the_applicant_hears_of_progress_and_what_needs_them_but_not_of_internal_moves(cast):
    number = cast.file()
    assert told() == []  # their own filing

    cast.assign(number)
    coming = _message(cast.applicant, "request.executor_assigned")
    assert coming.text.startswith(f"Aziz Karimov will handle request <b>{number}</b>.\nPlumbing, ")
    assert coming.buttons == [[{"text": "Open", "callback_data": f"req:open:{number}"}]]
    assert told() == sorted([(cast.applicant, "request.executor_assigned"), (cast.plumber, "request.assigned")])

    question = {"question": "Which <b>entrance</b>?"}
    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/clarification", question, format="json"))
    asked = _message(cast.applicant, "request.question")
    assert "Which &lt;b&gt;entrance&lt;/b&gt;?" in asked.text
    assert asked.buttons == [
        [
            {"text": "Answer", "callback_data": f"req:answer:{number}"},
            {"text": "Open", "callback_data": f"req:open:{number}"},
        ]
    ]
    assert told() == [(cast.applicant, "request.question")]

    answer = {"answer": "The second"}
    _ok(cast.as_applicant.post(f"/api/v1/requests/{number}/clarification/answer", answer, format="json"))
    assert told() == []  # the question answered: back where it was, nothing to tell

    cast.move(cast.as_plumber, number, "in_progress")
    assert told() == [(cast.applicant, "request.work_started")]

    cast.move(cast.as_plumber, number, "waiting_materials")
    cast.move(cast.as_plumber, number, "in_progress")
    assert told() == []  # waiting for materials and back: the executor's business

    cast.complete(number)
    assert told() == sorted([(cast.applicant, "request.completed"), (cast.manager, "request.awaiting_check")])

    sent_back = {"reason": "Photos are blurry"}
    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/return", sent_back, format="json"))
    back = _message(cast.applicant, "request.sent_back")
    assert "Photos are blurry" not in back.text  # the manager's words are for the executor
    assert told() == sorted([(cast.applicant, "request.sent_back"), (cast.plumber, "request.returned")])

    cast.complete(number)
    told()
    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/confirm", {}, format="json"))
    confirmed = _message(cast.applicant, "request.confirmed")
    assert [button["callback_data"] for button in confirmed.buttons[0]] == [
        f"req:accept:{number}",
        f"req:return:{number}",
    ]
    assert told() == [(cast.applicant, "request.confirmed")]

    _ok(cast.as_applicant.post(f"/api/v1/requests/{number}/accept", {"rating": 5}, format="json"))
    assert told() == []  # their own acceptance


def test_a_cancellation_by_staff_reaches_the_applicant_with_the_reason(cast):
    number = cast.file()
    cast.assign(number)
    told()

    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/cancel", {"reason": "Filed <twice>"}, format="json"))

    cancelled = _message(cast.applicant, "request.cancelled_by_staff")
    assert cancelled.text == f"Request <b>{number}</b> was cancelled.\nFiled &lt;twice&gt;"
    assert told() == sorted([(cast.applicant, "request.cancelled_by_staff"), (cast.plumber, "request.cancelled")])


def test_with_progress_turned_off_only_what_needs_the_applicant_comes(cast):
    switched = cast.as_applicant.put(
        "/api/v1/notifications/preferences", {"messages": {"progress": False}}, format="json"
    )
    assert _ok(switched)["messages"] == {"progress": False}
    number = cast.file()

    cast.assign(number)
    assert told() == [(cast.plumber, "request.assigned")]  # no "an executor is assigned"

    cast.move(cast.as_plumber, number, "in_progress")
    assert told() == []  # no "work started"

    question = {"question": "Is the water off?"}
    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/clarification", question, format="json"))
    assert told() == [(cast.applicant, "request.question")]  # a question always comes
    answer = {"answer": "Yes"}
    _ok(cast.as_applicant.post(f"/api/v1/requests/{number}/clarification/answer", answer, format="json"))
    told()

    cast.complete(number)
    assert told() == [(cast.manager, "request.awaiting_check")]  # no "reported done"

    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/confirm", {}, format="json"))
    assert told() == [(cast.applicant, "request.confirmed")]  # Accept / Return always comes


def test_with_progress_turned_off_a_follower_hears_of_no_reassignment(cast):
    other = executor("plumber")
    number = cast.file()
    cast.assign(number)
    told()
    services.preference_set(account_id=cast.applicant, follow_all=True, messages={"progress": False})

    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/assign", {"executor_id": other}, format="json"))

    assert (cast.applicant, "request.reassigned") not in told()


def test_quiet_hours_still_hold_what_always_comes(cast):
    services.preference_set(
        account_id=cast.applicant, messages={"progress": False}, quiet_from=time(0, 0), quiet_to=time(23, 59)
    )
    number = cast.in_progress()
    cast.complete(number)
    told()

    _ok(cast.as_manager.post(f"/api/v1/requests/{number}/confirm", {}, format="json"))

    confirmed = _message(cast.applicant, "request.confirmed")
    assert confirmed.not_before is not None and confirmed.urgent is False


# --- assignment.failed -------------------------------------------------------------------------------------------


def test_an_assignment_failed_message_carries_an_open_button(cast):
    (row,) = services.notify(
        account_id=cast.manager,
        kind="assignment.failed",
        variables={"number": "260115-007", "category": "Plumbing", "urgency": "high", "address": "", "reason": "x"},
        dedupe="assignment-failed-test",
    )

    assert row.buttons == [[{"text": "Open", "callback_data": "req:open:260115-007"}]]
    assert Template.objects.get(event_type="assignment.failed", channel="telegram", language="ru").buttons == [
        [{"text": "Открыть", "callback_data": "req:open:{number}"}]
    ]


def test_the_data_migration_adds_the_button_to_shipped_rows_only_and_goes_back():
    migration = importlib.import_module("ukbot.notifications.migrations.0005_templates_by_need")
    shipped = Template.objects.filter(event_type="assignment.failed", channel="telegram")
    shipped.update(buttons=[])  # as migration 0003 left them
    edited = shipped.get(language="uz")
    edited.body, edited.updated_by = "<b>{number}</b>: qoʻlda tayinlang.", 1
    edited.save()
    Template.objects.filter(event_type="request.question").delete()

    migration.forwards(django_apps, None)

    buttons = dict(shipped.values_list("language", "buttons"))
    assert buttons == {
        "ru": [[{"text": "Открыть", "callback_data": "req:open:{number}"}]],
        "en": [[{"text": "Open", "callback_data": "req:open:{number}"}]],
        "uz": [],  # an admin's own version is kept
    }
    assert Template.objects.filter(event_type="request.question").count() == 6  # telegram and e-mail, 3 languages

    migration.backwards(django_apps, None)

    assert dict(shipped.values_list("language", "buttons")) == {"ru": [], "en": [], "uz": []}
    assert not Template.objects.filter(event_type="request.question").exists()


# --- the preferences API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ({"urgent": False}, "messages.urgent"),  # an unknown group
        ({"progress": "sometimes"}, "messages.progress"),  # not true or false
        ({"progress": None}, "messages.progress"),
        ("off", "messages"),
    ],
)
def test_bad_messages_preferences_get_the_error_envelope_and_change_nothing(messages, field):
    account = person("applicant")
    client = signed_in(account)
    body = {"messages": messages, "follow_all": True}

    response = client.put("/api/v1/notifications/preferences", body, format="json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["trace_id"]
    assert field in {detail["field"] for detail in error["details"]}
    assert not Preference.objects.filter(account_id=account).exists()
    view = services.preference_get(account_id=account)
    assert (view.messages, view.follow_all) == ({"progress": True}, False)


def test_the_service_refuses_groups_that_cannot_be_turned_off():
    account = person("applicant")

    with pytest.raises(ValidationFailedError) as caught:
        services.preference_set(account_id=account, messages={"question": False})

    assert [detail.field for detail in caught.value.details] == ["messages.question"]
    assert services.preference_get(account_id=account).messages == {"progress": True}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_and_switches_its_own_progress_messages_only(role):
    caller, other = person(role), person("applicant")
    client = signed_in(caller)

    assert _ok(client.get("/api/v1/notifications/preferences"))["messages"] == {"progress": True}
    switched = client.put("/api/v1/notifications/preferences", {"messages": {"progress": False}}, format="json")
    assert _ok(switched)["messages"] == {"progress": False}
    refused = client.put(
        "/api/v1/notifications/preferences", {"account_id": other, "messages": {"progress": False}}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "VALIDATION_ERROR"

    assert services.preference_get(account_id=caller).messages == {"progress": False}
    assert services.preference_get(account_id=other).messages == {"progress": True}


def test_anonymous_callers_may_not_read_or_switch_messages():
    anonymous = APIClient()

    for response in (
        anonymous.get("/api/v1/notifications/preferences"),
        anonymous.put("/api/v1/notifications/preferences", {"messages": {"progress": False}}, format="json"),
    ):
        assert response.status_code == 401 and response.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert not Preference.objects.exists()
