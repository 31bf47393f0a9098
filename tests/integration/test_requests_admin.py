"""The dispatcher's admin for requests, driven as a staff manager signed in at /admin/login/: the list, actions
through the services and the state machine, a request's page, materials, CSV export and the settings."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, media_file, person
from ukbot.core.models import OutboxEvent
from ukbot.requests import services
from ukbot.requests.models import Comment, Material, Request, SlaPolicy, StatusChange
from ukbot.users import services as users

pytestmark = pytest.mark.django_db

LIST = reverse("admin:requests_request_changelist")


def _signed_in_admin(account_id: int) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    username = get_user_model().objects.get(pk=account_id).username
    response = client.post("/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def manager() -> tuple[int, Client]:
    """A staff account with the manager role and the requests app's admin permissions, signed in to the admin."""
    account = person("manager", account_fields={"is_staff": True}, first_name="Dilnoza", last_name="Dispatcher")
    user = get_user_model().objects.get(pk=account)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="requests"))
    return account, _signed_in_admin(account)


def _request(created_by: int, **fields) -> str:
    body = {"category": "plumbing", "description": "Water is leaking from the ceiling", **fields}
    return services.request_create(applicant_id=person("applicant"), created_by=created_by, **body).number


def _executor(trade: str, *, approved: bool = True, **names) -> int:
    account = person("executor", **names)
    users.specialization_set(account_id=account, key=trade, level=3)
    if approved:
        users.profile_approve(account_id=account)
    return account


def _building(address: str) -> int:
    yard = users.yard_create(name=f"Yard of {address}")
    return users.building_create(yard_id=yard.pk, address=address).pk


def _events(type_name: str, number: str) -> list[dict]:
    rows = OutboxEvent.objects.filter(type=type_name, subject=number).order_by("time", "sequence")
    return [row.data for row in rows]


def _act(client: Client, action: str, numbers: list[str], url: str = LIST, **data):
    return client.post(url, {"action": action, "_selected_action": numbers, **data})


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- who gets in --------------------------------------------------------------------------------------------------


def test_applicants_and_other_non_staff_cannot_reach_the_requests_admin():
    applicant = person("applicant")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    username = get_user_model().objects.get(pk=applicant).username

    login = client.post("/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"})
    listing = client.get(LIST)

    assert login.status_code == 200  # the login form again
    assert listing.status_code == 302 and listing["Location"].startswith("/admin/login/")


# --- the list -----------------------------------------------------------------------------------------------------


def test_the_list_shows_names_badges_and_filters_in_a_bounded_number_of_queries(manager):
    manager_id, client = manager
    plumber = _executor("plumber", first_name="Bobur", last_name="Aliev")
    navoi, temur = _building("ул. Навои, 12"), _building("Amir Temur 1")
    first = _request(manager_id, urgency="critical", building_id=navoi, address="ул. Навои, 12, кв. 5")
    services.request_move(
        number=first, to_status="assigned", actor_kind="manager", actor_id=manager_id, executor_id=plumber
    )
    _request(manager_id, urgency="low", building_id=temur, contact_phone="+998901112233")
    _request(manager_id, urgency="high", description="The lift is stuck", category="elevator")

    with CaptureQueriesContext(connection) as few:
        small = client.get(LIST)
    for index in range(27):
        _request(manager_id, urgency=("low", "medium", "high", "critical")[index % 4], building_id=temur)
    with CaptureQueriesContext(connection) as many:
        big = client.get(LIST)

    assert small.status_code == big.status_code == 200
    assert big.context["cl"].result_count == 30
    assert len(many) == len(few) <= 20  # the same queries for 3 rows or 30: no query per row
    page = big.content.decode()
    assert '<span class="ukbot-badge ukbot-urgency-critical">critical</span>' in page
    assert '<span class="ukbot-badge ukbot-urgency-low">low</span>' in page
    assert "Bobur Aliev" in page
    assert "requests/admin.css" in page
    filters = {
        spec.title: [choice["display"] for choice in spec.choices(big.context["cl"])]
        for spec in big.context["cl"].filter_specs
    }
    assert filters["building"][1:] == ["Amir Temur 1", "ул. Навои, 12"]
    assert filters["executor"][1:] == ["nobody yet", "Bobur Aliev"]


def test_the_list_filters_and_searches(manager):
    manager_id, client = manager
    plumber = _executor("plumber")
    navoi, temur = _building("ул. Навои, 12"), _building("Amir Temur 1")
    assigned = _request(manager_id, building_id=navoi, contact_phone="+998901112233", address="ул. Навои, 12")
    services.request_move(
        number=assigned, to_status="assigned", actor_kind="manager", actor_id=manager_id, executor_id=plumber
    )
    lift = _request(manager_id, category="elevator", urgency="critical", building_id=temur, source="phone")
    quiet = _request(manager_id, description="Graffiti in the entrance", category="cleaning", urgency="low")

    def numbers(**params) -> list[str]:
        response = client.get(LIST, params)
        assert response.status_code == 200
        return sorted(r.number for r in response.context["cl"].result_list)

    assert numbers(status__exact="assigned") == [assigned]
    assert numbers(category__exact="elevator") == [lift]
    assert numbers(urgency__exact="low") == [quiet]
    assert numbers(source__exact="phone") == [lift]
    assert numbers(building=str(navoi)) == [assigned]
    assert numbers(executor=str(plumber)) == [assigned]
    assert numbers(executor="none") == sorted([lift, quiet])
    assert numbers(q=assigned) == [assigned]
    assert numbers(q="1112233") == [assigned]
    assert numbers(q="Навои") == [assigned]
    assert numbers(q="graffiti") == [quiet]


def test_the_overdue_badge_and_filter_follow_the_deadlines(manager):
    manager_id, client = manager
    late, on_time = _request(manager_id), _request(manager_id)
    Request.objects.filter(pk=late).update(reaction_deadline=timezone.now() - timedelta(minutes=5))

    overdue = client.get(LIST, {"overdue": "yes"})
    fine = client.get(LIST, {"overdue": "no"})

    assert [r.number for r in overdue.context["cl"].result_list] == [late]
    assert [r.number for r in fine.context["cl"].result_list] == [on_time]
    assert overdue.content.decode().count('<span class="ukbot-badge ukbot-overdue">overdue</span>') == 1
    assert "ukbot-overdue" not in fine.content.decode().split('id="result_list"')[1]


# --- changing the status ------------------------------------------------------------------------------------------


def test_the_status_action_offers_the_managers_moves_and_makes_one_through_the_state_machine(manager):
    manager_id, client = manager
    number = _request(manager_id)

    asked = _act(client, "change_status", [number])
    done = _act(client, "change_status", [number], apply="1", to_status="cancelled", reason="A duplicate call")

    offered = [value for value, _label in asked.context["form"].fields["to_status"].choices]
    assert offered == ["clarification", "cancelled"]  # assigning is the assign action's job
    assert done.status_code == 302
    assert Request.objects.get(pk=number).status == "cancelled"
    assert [
        (e["old_status"], e["new_status"], e["actor_id"], e["reason"])
        for e in _events("request.status_changed", number)
    ] == [("new", "cancelled", manager_id, "A duplicate call")]
    assert "Changed the status of 1 request." in _messages(client.get(LIST))


def test_an_illegal_move_is_refused_and_changes_nothing(manager):
    manager_id, client = manager
    number = _request(manager_id)

    illegal = _act(client, "change_status", [number], apply="1", to_status="completed", reason="")
    closed = _request(manager_id)
    services.request_move(number=closed, to_status="cancelled", actor_kind="manager", actor_id=manager_id)
    mixed = _act(client, "change_status", [number, closed])

    assert illegal.status_code == 200
    assert "Select a valid choice" in illegal.content.decode()
    assert mixed.status_code == 302
    assert "No status change is allowed for all the selected requests" in _messages(client.get(LIST))[0]
    assert Request.objects.get(pk=number).status == "new"
    assert _events("request.status_changed", number) == []


def test_a_move_that_needs_a_reason_is_refused_without_one(manager):
    manager_id, client = manager
    number = _request(manager_id)

    refused = _act(client, "change_status", [number], apply="1", to_status="clarification", reason="  ")
    still = Request.objects.get(pk=number).status
    done = _act(client, "change_status", [number], apply="1", to_status="clarification", reason="Which flat?")

    assert refused.status_code == 200 and "This move needs a reason." in refused.content.decode()
    assert still == "new"
    assert done.status_code == 302
    assert Request.objects.get(pk=number).status == "clarification"


def test_a_reason_the_service_requires_beyond_the_form_is_reported_per_request(manager):
    manager_id, client = manager
    plumber = _executor("plumber")
    number = _request(manager_id)
    services.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager_id, executor_id=plumber
    )
    services.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    services.attachments_add(
        number=number,
        media_ids=[media_file(plumber)],
        kind="after",
        actor_id=plumber,
        actor_kind="executor",
    )
    services.request_move(number=number, to_status="completed", actor_kind="executor", actor_id=plumber)
    services.request_move(number=number, to_status="confirmed", actor_kind="manager", actor_id=manager_id)

    _act(client, "change_status", [number], apply="1", to_status="accepted", reason="")

    assert Request.objects.get(pk=number).status == "confirmed"
    assert any(m.startswith(f"{number}: ") and "Say why." in m for m in _messages(client.get(LIST)))


# --- assigning ----------------------------------------------------------------------------------------------------


def test_the_assign_action_offers_only_verified_executors_of_the_trade_with_their_load(manager):
    manager_id, client = manager
    plumber = _executor("plumber", first_name="Bobur", last_name="Aliev")
    handyman = _executor("universal", first_name="Jasur", last_name="Universal")
    electrician = _executor("electrician", first_name="Anvar", last_name="Tok")
    unverified = _executor("plumber", approved=False, first_name="Nodir", last_name="Novice")
    busy = _request(manager_id)
    services.request_move(
        number=busy, to_status="assigned", actor_kind="manager", actor_id=manager_id, executor_id=plumber
    )
    number = _request(manager_id)

    asked = _act(client, "assign_executor", [number])
    wrong_trade = _act(client, "assign_executor", [number], apply="1", executor=electrician)
    not_verified = _act(client, "assign_executor", [number], apply="1", executor=unverified)
    untouched = Request.objects.get(pk=number)
    done = _act(client, "assign_executor", [number], apply="1", executor=handyman)

    choices = dict(asked.context["form"].fields["executor"].choices)
    assert list(choices) == [handyman, plumber]  # least busy first
    assert "open requests: 1" in choices[plumber] and "open requests: 0" in choices[handyman]
    page = asked.content.decode()
    assert "Anvar Tok" not in page and "Nodir Novice" not in page
    for refused in (wrong_trade, not_verified):
        assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert (untouched.status, untouched.executor_id) == ("new", None)
    assert done.status_code == 302
    request = Request.objects.get(pk=number)
    assert (request.status, request.executor_id) == ("assigned", handyman)
    assert [(e["executor_id"], e["previous_executor_id"]) for e in _events("request.assigned", number)] == [
        (handyman, None)
    ]
    assert "Assigned 1 request." in _messages(client.get(LIST))


def test_the_assign_action_reassigns_a_request_in_progress(manager):
    manager_id, client = manager
    first, second = _executor("plumber"), _executor("plumber")
    number = _request(manager_id)
    services.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager_id, executor_id=first
    )
    services.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=first)

    done = _act(client, "assign_executor", [number], apply="1", executor=second, reason="First one is ill")

    assert done.status_code == 302
    request = Request.objects.get(pk=number)
    assert (request.status, request.executor_id) == ("in_progress", second)
    assert _events("request.assigned", number)[-1]["previous_executor_id"] == first
    last = StatusChange.objects.filter(request_id=number).last()
    assert (last.action, last.reason) == ("reassigned", "First one is ill")


def test_the_assign_action_refuses_requests_of_different_trades(manager):
    manager_id, client = manager
    _executor("plumber")
    leak, spark = _request(manager_id), _request(manager_id, category="electricity")

    refused = _act(client, "assign_executor", [leak, spark])

    assert refused.status_code == 302
    assert "need different trades" in _messages(client.get(LIST))[0]
    assert set(Request.objects.values_list("status", flat=True)) == {"new"}


# --- a request's page -----------------------------------------------------------------------------------------


def _change_data(page, **fields) -> dict:
    """What the browser posts from a request's page, with ``fields`` changed."""
    request = page.context["original"]
    data = {
        "category": request.category,
        "urgency": request.urgency,
        "description": request.description,
        "contact_phone": request.contact_phone,
        "address": request.address,
        "entrance": request.entrance,
        "floor": "" if request.floor is None else request.floor,
        "visit_from_0": "",
        "visit_from_1": "",
        "visit_to_0": "",
        "visit_to_1": "",
        "seen_version": request.version,
        "comment_text": "",
        "_continue": "1",
    }
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {
            f"{formset.prefix}-TOTAL_FORMS": formset.total_form_count(),
            f"{formset.prefix}-INITIAL_FORMS": formset.initial_form_count(),
            f"{formset.prefix}-MIN_NUM_FORMS": 0,
            f"{formset.prefix}-MAX_NUM_FORMS": 1000,
        }
        for index, form in enumerate(formset.forms):
            data[f"{formset.prefix}-{index}-id"] = form.instance.pk
            data[f"{formset.prefix}-{index}-request"] = request.pk
    return data | fields


def test_the_page_shows_the_record_and_an_edit_publishes_request_updated(manager):
    manager_id, client = manager
    number = _request(manager_id, urgency="low")
    services.comment_add(number=number, author_id=manager_id, actor_kind="manager", text="<b>Call first</b>")
    url = reverse("admin:requests_request_change", args=[number])
    page = client.get(url)
    before = Request.objects.get(pk=number)

    saved = client.post(url, _change_data(page, urgency="critical", entrance="2"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;Call first&lt;/b&gt;" in html and "<b>Call first</b>" not in html
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    after = Request.objects.get(pk=number)
    assert (after.urgency, after.entrance, after.version) == ("critical", "2", before.version + 1)
    assert after.resolution_deadline < before.resolution_deadline  # recomputed for the new urgency
    assert _events("request.updated", number) == [
        {
            "number": number,
            "changed_fields": ["entrance", "urgency"],
            "actor_id": manager_id,
            "actor_kind": "manager",
        }
    ]
    assert StatusChange.objects.filter(request_id=number, action="edited").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"description": ""}, "description"), ({"urgency": "high", "contact_phone": "call me"}, "contact_phone")],
)
def test_bad_input_on_the_page_shows_an_error_and_saves_nothing(manager, changes, field):
    manager_id, client = manager
    number = _request(manager_id, urgency="low")
    url = reverse("admin:requests_request_change", args=[number])
    page = client.get(url)

    refused = client.post(url, _change_data(page, **changes))

    assert refused.status_code == 200
    assert field in refused.context["adminform"].form.errors
    request = Request.objects.get(pk=number)
    assert (request.urgency, request.description, request.version) == ("low", "Water is leaking from the ceiling", 1)
    assert _events("request.updated", number) == []


def test_a_page_that_comes_back_with_errors_undoes_what_the_services_wrote(manager):
    manager_id, client = manager
    number = _request(manager_id, urgency="low")
    url = reverse("admin:requests_request_change", args=[number])
    data = _change_data(client.get(url), urgency="high", comment_text="Escalated")
    data.pop("history-TOTAL_FORMS")  # a tampered page: an inline's management form is missing

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert Request.objects.get(pk=number).urgency == "low"
    assert (_events("request.updated", number), Comment.objects.filter(request_id=number).count()) == ([], 0)


def test_a_stale_page_is_refused(manager):
    manager_id, client = manager
    number = _request(manager_id, urgency="low")
    url = reverse("admin:requests_request_change", args=[number])
    page = client.get(url)
    services.request_update(number=number, actor_kind="manager", actor_id=manager_id, changes={"entrance": "3"})

    refused = client.post(url, _change_data(page, urgency="high"))

    assert refused.status_code == 200
    assert "changed meanwhile" in str(refused.context["adminform"].form.non_field_errors())
    assert Request.objects.get(pk=number).urgency == "low"


def test_the_page_adds_a_comment_through_the_service(manager):
    manager_id, client = manager
    number = _request(manager_id)
    url = reverse("admin:requests_request_change", args=[number])

    saved = client.post(url, _change_data(client.get(url), comment_text="Call before 10:00", comment_internal="on"))

    assert saved.status_code == 302
    comment = Comment.objects.get(request_id=number)
    assert (comment.text, comment.internal, comment.author_id, comment.author_kind) == (
        "Call before 10:00",
        True,
        manager_id,
        "manager",
    )
    assert [e["comment_type"] for e in _events("request.comment_added", number)] == ["internal"]
    assert _events("request.updated", number) == []  # no detail changed


def test_requests_are_neither_added_nor_deleted_in_the_admin(manager):
    manager_id, client = manager
    number = _request(manager_id)

    assert client.get(reverse("admin:requests_request_add")).status_code == 403
    assert client.get(reverse("admin:requests_request_delete", args=[number])).status_code == 403


# --- materials --------------------------------------------------------------------------------------------------


def test_materials_are_approved_issued_and_rejected_through_the_service(manager):
    manager_id, client = manager
    plumber = _executor("plumber")
    number = _request(manager_id)
    services.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager_id, executor_id=plumber
    )
    services.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    pipe, tape = services.materials_request(
        number=number,
        actor_kind="executor",
        actor_id=plumber,
        items=[{"item": "Pipe 20 mm", "quantity": "2", "unit": "m"}, {"item": "Tape", "quantity": "1", "unit": "pcs"}],
    )
    url = reverse("admin:requests_material_changelist")

    listed = client.get(url, {"q": number, "status__exact": "requested"})
    _act(client, "approve", [pipe.pk], url=url)
    _act(client, "issue", [pipe.pk], url=url)
    asked = _act(client, "reject", [tape.pk], url=url)
    empty = _act(client, "reject", [tape.pk], url=url, apply="1", reason="")
    _act(client, "reject", [tape.pk], url=url, apply="1", reason="We have it in stock")
    again = _act(client, "issue", [tape.pk], url=url)

    assert listed.context["cl"].result_count == 2
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert empty.status_code == 200
    pipe.refresh_from_db()
    tape.refresh_from_db()
    assert (pipe.status, pipe.decided_by) == ("issued", manager_id)
    assert (tape.status, tape.reason) == ("rejected", "We have it in stock")
    assert again.status_code == 302 and any("Tape" in m for m in _messages(client.get(url)))
    assert [e["status"] for e in _events("request.materials_decided", number)] == ["approved", "issued", "rejected"]
    assert client.get(reverse("admin:requests_material_add")).status_code == 403
    assert Material.objects.count() == 2


# --- CSV export -------------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_export_streams_the_selection_as_csv_safe_for_spreadsheets(manager):
    manager_id, client = manager
    tricky = _request(manager_id, address='=HYPERLINK("http://evil")', description="@SUM(1+1)", urgency="critical")
    cyrillic = _request(manager_id, address="ул. Навои, 12, кв. 5", description="Течёт кран на кухне")
    left_out = _request(manager_id)

    response = _act(client, "export_csv", [tricky, cyrillic])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="requests-')
    header, *rows = _csv(response)
    assert header[:5] == ["number", "created at", "status", "category", "urgency"]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_number) == {tricky, cyrillic} and left_out not in by_number
    assert by_number[tricky]["address"] == '\'=HYPERLINK("http://evil")'
    assert by_number[tricky]["description"] == "'@SUM(1+1)"
    assert by_number[cyrillic]["address"] == "ул. Навои, 12, кв. 5"
    assert by_number[cyrillic]["description"] == "Течёт кран на кухне"
    assert by_number[cyrillic]["status"] == "new" and by_number[tricky]["urgency"] == "critical"


def test_the_export_of_everything_honours_the_current_filters(manager):
    manager_id, client = manager
    critical, _low = _request(manager_id, urgency="critical"), _request(manager_id, urgency="low")

    response = _act(client, "export_csv", [critical], url=f"{LIST}?urgency__exact=critical", select_across="1")

    _header, *rows = _csv(response)
    assert [row[0] for row in rows] == [critical]


# --- SLA and settings -------------------------------------------------------------------------------------------


def test_the_sla_policy_refuses_a_resolution_shorter_than_the_reaction(manager):
    _manager_id, client = manager
    listed = client.get(reverse("admin:requests_slapolicy_changelist"))
    url = reverse("admin:requests_slapolicy_change", args=["critical"])

    refused = client.post(url, {"reaction_minutes": 60, "resolution_minutes": 30})
    saved = client.post(url, {"reaction_minutes": 45, "resolution_minutes": 300})

    assert [p.urgency for p in listed.context["cl"].result_list] == ["critical", "high", "medium", "low"]
    assert refused.status_code == 200
    assert "The resolution time must be at least the reaction time (60 minutes)." in refused.content.decode()
    assert saved.status_code == 302
    policy = SlaPolicy.objects.get(pk="critical")
    assert (policy.reaction_minutes, policy.resolution_minutes) == (45, 300)


def test_a_policy_saved_in_admin_sets_the_deadlines_of_the_next_request(manager):
    manager_id, client = manager
    before = Request.objects.get(pk=_request(manager_id, urgency="high"))

    saved = client.post(
        reverse("admin:requests_slapolicy_change", args=["high"]), {"reaction_minutes": 7, "resolution_minutes": 70}
    )
    after = Request.objects.get(pk=_request(manager_id, urgency="high"))

    assert saved.status_code == 302
    assert before.reaction_deadline - before.created_at != timedelta(minutes=7)
    assert after.reaction_deadline - after.created_at == timedelta(minutes=7)
    assert after.resolution_deadline - after.created_at == timedelta(minutes=70)


def test_the_settings_list_opens_the_single_row(manager):
    _manager_id, client = manager

    listed = client.get(reverse("admin:requests_settings_changelist"))
    page = client.get(listed["Location"])

    assert listed.status_code == 302 and listed["Location"] == reverse("admin:requests_settings_change", args=[1])
    assert page.status_code == 200
    assert client.get(reverse("admin:requests_settings_add")).status_code == 403
    assert client.get(reverse("admin:requests_settings_delete", args=[1])).status_code == 403


def test_a_closed_requests_page_is_read_only_and_its_attachments_show_thumbnails(manager):
    manager_id, client = manager
    number = _request(manager_id)
    photo = media_file(manager_id, "png", name="счёт <img onerror=x>.png")
    scan = media_file(manager_id, "pdf", name="акт.pdf")
    services.attachments_add(
        number=number, media_ids=[photo, scan], kind="document", actor_id=manager_id, actor_kind="manager"
    )
    services.request_move(number=number, to_status="cancelled", actor_kind="manager", actor_id=manager_id)
    url = reverse("admin:requests_request_change", args=[number])
    page = client.get(url)

    refused = client.post(url, _change_data(page, comment_text="Too late"))

    assert page.status_code == 200
    html = page.content.decode()
    # an image through a short-lived signed link, the name escaped; another file as a link
    assert '<img src="/api/v1/media/signed/' in html and 'alt="счёт &lt;img onerror=x&gt;.png"' in html
    assert "<img onerror" not in html and ">акт.pdf</a>" in html
    assert "description" not in page.context["adminform"].form.fields
    assert refused.status_code == 200
    assert "cancelled" in str(refused.context["adminform"].form.non_field_errors())
    assert Comment.objects.filter(request_id=number).count() == 0


@pytest.mark.parametrize("model", ["request", "material", "slapolicy"])
def test_every_changelist_and_the_index_render_for_a_superuser(admin_client, model):
    _request(person("manager"))

    assert admin_client.get(reverse(f"admin:requests_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:index")).status_code == 200
