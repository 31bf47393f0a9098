"""The admin audit log: a dispatcher's changes of a request and of a person are kept with who, when, old and new
values; nobody can add, change or delete an entry, superusers included; the retention purges leave it alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import person
from tests.integration.test_requests_admin import _change_data, _request, _signed_in_admin
from ukbot.auth import tasks as auth_tasks
from ukbot.core import tasks as core_tasks
from ukbot.core.audit import HIDDEN, admin_audit_record
from ukbot.core.models import AdminAuditEntry
from ukbot.notifications import tasks as notifications_tasks
from ukbot.requests.models import Request
from ukbot.users.models import Profile, RoleGrant

pytestmark = pytest.mark.django_db

AUDIT = reverse("admin:core_adminauditentry_changelist")
LIST = reverse("admin:requests_request_changelist")
CANCEL = {"to_status": "cancelled", "reason": "A duplicate call"}


def _staff(*apps: str, extra: tuple[str, ...] = ()) -> tuple[int, Client]:
    account = person("manager", account_fields={"is_staff": True}, first_name="Dilnoza", last_name="Dispatcher")
    user = get_user_model().objects.get(pk=account)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=apps))
    for codename in extra:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return account, _signed_in_admin(account)


@pytest.fixture
def dispatcher() -> tuple[int, Client]:
    """A manager with the admin of requests and people, and the audit log's view permission."""
    return _staff("requests", "users", extra=("view_adminauditentry", "view_logentry"))


def _inlines(prefix: str, total: int, initial: int) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def _edit_person(client: Client, profile: Profile, **changes) -> None:
    grants = list(RoleGrant.objects.filter(profile__account_id=profile.account_id).order_by("role"))
    data = {
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "phone": profile.phone,
        "language": profile.language,
        "bio": "",
        "settings": "{}",
        **_inlines("role_grants", len(grants) + 1, len(grants)),
        **_inlines("specializations", 0, 0),
    }
    for index, grant in enumerate(grants):
        data |= {
            f"role_grants-{index}-id": grant.pk,
            f"role_grants-{index}-profile": profile.account_id,  # the key is the account id
            f"role_grants-{index}-role": grant.role,
        }
    saved = client.post(reverse("admin:users_profile_change", args=[profile.pk]), data | changes)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved


def test_a_request_edit_is_logged_with_who_when_and_the_old_and_new_values(dispatcher):
    dispatcher_id, client = dispatcher
    number = _request(dispatcher_id, urgency="low")
    before = Request.objects.get(pk=number)
    url = reverse("admin:requests_request_change", args=[number])
    started = timezone.now()

    saved = client.post(url, _change_data(client.get(url), urgency="critical", category="electricity"))

    assert saved.status_code == 302
    entry = AdminAuditEntry.objects.get(model="requests.request", object_id=number)
    after = Request.objects.get(pk=number)
    assert (entry.actor_id, entry.action, entry.object_repr) == (dispatcher_id, "changed", number)
    assert entry.actor_name == get_user_model().objects.get(pk=dispatcher_id).username
    assert started <= entry.time <= timezone.now()
    assert entry.changes["urgency"] == ["low", "critical"]
    assert entry.changes["category"] == ["plumbing", "electricity"]
    # what the service changed along with them is there too; the version counter is not
    assert entry.changes["resolution_deadline"] == [
        before.resolution_deadline.isoformat(),
        after.resolution_deadline.isoformat(),
    ]
    assert "version" not in entry.changes
    assert set(entry.changes) <= {"urgency", "category", "reaction_deadline", "resolution_deadline"}
    log = LogEntry.objects.get(pk=entry.log_entry_id)
    assert (log.user_id, log.object_id) == (dispatcher_id, number)
    assert entry.message == log.change_message


def test_a_refused_request_edit_leaves_no_entry(dispatcher):
    dispatcher_id, client = dispatcher
    number = _request(dispatcher_id, urgency="low")
    url = reverse("admin:requests_request_change", args=[number])

    refused = client.post(url, _change_data(client.get(url), urgency="high", contact_phone="call me"))

    assert refused.status_code == 200
    assert not AdminAuditEntry.objects.exists()
    assert not LogEntry.objects.exists()


def test_a_save_that_changes_nothing_leaves_no_audit_entry(dispatcher):
    dispatcher_id, client = dispatcher
    number = _request(dispatcher_id)
    url = reverse("admin:requests_request_change", args=[number])

    assert client.post(url, _change_data(client.get(url))).status_code == 302

    assert not AdminAuditEntry.objects.exists()


def test_a_persons_phone_and_roles_changed_by_a_dispatcher_are_logged(dispatcher):
    dispatcher_id, client = dispatcher
    person(profile=False)  # an account without a profile: account ids and profile keys differ, as in real life
    profile = Profile.objects.get(account_id=person("applicant", first_name="Aziz", phone="+998901112233"))
    assert profile.pk != profile.account_id

    _edit_person(client, profile, phone="+998 90 999 88 77", **{"role_grants-1-role": "executor"})

    entry = AdminAuditEntry.objects.get(model="users.profile")
    assert (entry.actor_id, entry.action, entry.object_id) == (dispatcher_id, "changed", str(profile.pk))
    assert entry.changes["phone"] == ["+998901112233", "+998909998877"]
    assert entry.changes["roles"] == [["applicant"], ["executor", "applicant"]]
    assert "updated_at" not in entry.changes


def test_list_actions_are_logged_too_and_a_refused_one_is_not(dispatcher):
    dispatcher_id, client = dispatcher
    number, closed = _request(dispatcher_id), _request(dispatcher_id)
    client.post(LIST, {"action": "change_status", "_selected_action": [closed], "apply": "1", **CANCEL})
    people = [Profile.objects.get(account_id=person("applicant")) for _ in range(2)]

    moved = client.post(LIST, {"action": "change_status", "_selected_action": [number], "apply": "1", **CANCEL})
    blocked = client.post(
        reverse("admin:users_profile_changelist"), {"action": "block", "_selected_action": [p.pk for p in people]}
    )
    client.post(LIST, {"action": "change_status", "_selected_action": [closed], "apply": "1", **CANCEL})  # refused

    assert (moved.status_code, blocked.status_code) == (302, 302)
    request_entries = AdminAuditEntry.objects.filter(model="requests.request").order_by("pk")
    assert [(e.object_id, e.changes["status"]) for e in request_entries] == [
        (closed, ["new", "cancelled"]),
        (number, ["new", "cancelled"]),
    ]
    person_entries = AdminAuditEntry.objects.filter(model="users.profile").order_by("pk")
    assert [(e.object_id, e.changes) for e in person_entries] == [
        (str(p.pk), {"status": [p.status, "blocked"]}) for p in people
    ]
    assert all(e.actor_id == dispatcher_id and e.log_entry_id for e in [*request_entries, *person_entries])
    assert LogEntry.objects.get(pk=person_entries[0].log_entry_id).get_change_message() == "Changed status."


def test_the_audit_log_shows_the_entry_with_labels_and_filters(dispatcher):
    dispatcher_id, client = dispatcher
    number = _request(dispatcher_id, urgency="low")
    url = reverse("admin:requests_request_change", args=[number])
    client.post(url, _change_data(client.get(url), urgency="critical"))
    entry = AdminAuditEntry.objects.get()

    listing = client.get(AUDIT, {"model": "requests.request", "action__exact": "changed"})
    other_model = client.get(AUDIT, {"model": "users.profile"})
    detail = client.get(reverse("admin:core_adminauditentry_change", args=[entry.pk]))
    log_list = client.get(reverse("admin:admin_logentry_changelist"))

    assert listing.status_code == 200 and listing.context["cl"].result_count == 1
    kinds = next(spec for spec in listing.context["cl"].filter_specs if getattr(spec, "parameter_name", "") == "model")
    assert kinds.lookup_choices == [("requests.request", "request")]
    in_russian = client.get(AUDIT, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "журнала аудита" in in_russian and "вид записи" in in_russian.lower()
    assert other_model.context["cl"].result_count == 0
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "<td>urgency</td><td>low (low)</td><td>critical (critical)</td>" in html
    assert 'name="_save"' not in html and "deletelink" not in html  # read-only: no save, no delete
    assert log_list.status_code == 200 and log_list.context["cl"].result_count == 1


@pytest.mark.parametrize("who", ["dispatcher", "superuser"])
def test_nobody_can_delete_edit_or_add_an_entry(who, dispatcher, admin_client):
    dispatcher_id, dispatcher_client = dispatcher
    client = dispatcher_client if who == "dispatcher" else admin_client
    entry = admin_audit_record(
        actor_id=dispatcher_id, actor_name="d", action="changed", obj=Request(number="261203-001"), changes={}
    )
    log = LogEntry.objects.create(user_id=dispatcher_id, object_id="1", object_repr="x", action_flag=2)
    change = reverse("admin:core_adminauditentry_change", args=[entry.pk])

    deleted = client.post(reverse("admin:core_adminauditentry_delete", args=[entry.pk]), {"post": "yes"})
    log_deleted = client.post(reverse("admin:admin_logentry_delete", args=[log.pk]), {"post": "yes"})
    bulk = client.post(AUDIT, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    edited = client.post(change, {"actor_name": "someone else"})
    added = client.get(reverse("admin:core_adminauditentry_add"))
    listing = client.get(AUDIT)

    assert (deleted.status_code, log_deleted.status_code, added.status_code) == (403, 403, 403)
    assert edited.status_code == 403
    assert listing.context["action_form"] is None  # no actions at all, so no "delete selected"
    assert bulk.status_code in (200, 302)
    assert AdminAuditEntry.objects.filter(pk=entry.pk, actor_name="d").exists()
    assert LogEntry.objects.filter(pk=log.pk).exists()


def test_staff_without_the_audit_permission_cannot_see_it():
    _account, client = _staff("requests", "users")

    assert client.get(AUDIT).status_code == 403
    assert client.get(reverse("admin:admin_logentry_changelist")).status_code == 403
    assert "adminauditentry" not in client.get("/admin/").content.decode()


def test_sensitive_values_are_never_stored(admin_client):
    account = person("applicant", account_fields={"is_staff": False})
    user = get_user_model().objects.get(pk=account)
    old_hash = user.password
    url = reverse("admin:auth_user_password_change", args=[account])

    changed = admin_client.post(url, {"password1": "a new long secret 123", "password2": "a new long secret 123"})

    assert changed.status_code == 302
    entries = AdminAuditEntry.objects.filter(model="ukbot_auth.account")
    stored = "".join(str(entry.changes) for entry in entries)
    assert old_hash not in stored and get_user_model().objects.get(pk=account).password not in stored
    assert [entry.changes for entry in entries] == [{"password": [HIDDEN, HIDDEN]}]  # changed, values not kept
    # and the helper masks whatever a caller passes under a sensitive name
    masked = admin_audit_record(
        actor_id=None,
        actor_name="x",
        action="changed",
        obj=user,
        changes={"otp_secret": ["abc", "def"], "password": ["p1", "p2"], "phone": ["1", "2"]},
    )
    assert masked.changes == {"otp_secret": [HIDDEN, HIDDEN], "password": [HIDDEN, HIDDEN], "phone": ["1", "2"]}


def test_audit_entries_survive_every_retention_purge(dispatcher, settings):
    dispatcher_id, client = dispatcher
    number = _request(dispatcher_id, urgency="low")
    url = reverse("admin:requests_request_change", args=[number])
    client.post(url, _change_data(client.get(url), urgency="high"))
    AdminAuditEntry.objects.update(time=timezone.now() - timedelta(days=3650))
    LogEntry.objects.update(action_time=timezone.now() - timedelta(days=3650))
    settings.NOTIFICATIONS_RETENTION_DAYS = settings.AUTH_ATTEMPTS_RETENTION_DAYS = 1
    settings.SESSIONS_RETENTION_DAYS = settings.EVENTS_RETENTION_DAYS = 1

    notifications_tasks.purge()
    auth_tasks.purge_login_attempts()
    auth_tasks.purge_sessions()
    core_tasks.purge_delivered_events()
    core_tasks.expire_idempotency_keys()

    assert AdminAuditEntry.objects.count() == 1
    assert LogEntry.objects.count() == 1
