"""Who hears of what: events from requests, users and shifts, through the relay, into the notification queue."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import executor, on_shift, person
from ukbot.core.events import Event
from ukbot.core.events.relay import drain
from ukbot.notifications import handlers, services
from ukbot.notifications.models import ChannelSetting, Notification, Preference
from ukbot.requests import services as requests
from ukbot.users import services as users
from ukbot.users.services import verification

pytestmark = pytest.mark.django_db


def told() -> list[tuple[int, str]]:
    """Run the relay, then return (and forget) the queued Telegram messages as (person, kind), sorted."""
    drain(max_seconds=10)
    rows = sorted(Notification.objects.filter(channel="telegram").values_list("account_id", "event_type"))
    Notification.objects.all().delete()
    return rows


@pytest.fixture
def cast():
    """An applicant, two plumbers and a manager (each knows only their own role)."""
    people = {
        "applicant": person("applicant"),
        "plumber": executor("plumber"),
        "other_plumber": executor("plumber"),
        "manager": person("manager"),
    }
    told()
    return people


def _request(cast, **fields) -> str:
    fields = {"category": "plumbing", "description": "Leak <b>under</b> the sink & more"} | fields
    return requests.request_create(applicant_id=cast["applicant"], **fields).number


def _assigned(cast, **fields) -> str:
    number = _request(cast, **fields)
    requests.request_reassign(number=number, executor_id=cast["plumber"], actor_id=cast["manager"])
    told()
    return number


def test_a_request_filed_by_the_applicant_tells_nobody_one_filed_for_them_tells_them(cast):
    _request(cast)
    assert told() == []

    _request(cast, created_by=cast["manager"], source="phone")
    assert told() == [(cast["applicant"], "request.created")]


def test_an_assignment_tells_the_executor_with_a_start_button_and_the_applicant_of_the_move(cast):
    number = _request(cast)
    told()

    requests.request_reassign(number=number, executor_id=cast["plumber"], actor_id=cast["manager"])
    drain(max_seconds=10)

    to_executor = Notification.objects.get(account_id=cast["plumber"], channel="telegram")
    assert to_executor.event_type == "request.assigned"
    assert to_executor.buttons[0][0] == {"text": "Начать работу", "callback_data": f"req:start:{number}"}
    assert "Leak &lt;b&gt;under&lt;/b&gt; the sink &amp; more" in to_executor.text  # typed text is escaped
    assert to_executor.dedupe_key.endswith(f":{cast['plumber']}:telegram")
    assert told() == sorted([(cast["applicant"], "request.executor_assigned"), (cast["plumber"], "request.assigned")])


def test_an_executor_claiming_is_not_told_of_their_own_claim(cast):
    number = _request(cast)
    on_shift(cast["plumber"], "plumber")
    told()

    requests.request_move(number=number, to_status="assigned", actor_kind="executor", actor_id=cast["plumber"])

    assert told() == [(cast["applicant"], "request.executor_assigned")]


def test_reassignment_tells_the_removed_and_the_new_executor_but_not_the_applicant(cast):
    number = _assigned(cast)

    requests.request_reassign(number=number, executor_id=cast["other_plumber"], actor_id=cast["manager"])

    assert told() == sorted([(cast["plumber"], "request.unassigned"), (cast["other_plumber"], "request.assigned")])


def test_an_applicant_following_every_change_hears_of_a_reassignment(cast):
    number = _assigned(cast)
    services.preference_set(account_id=cast["applicant"], follow_all=True)

    requests.request_reassign(number=number, executor_id=cast["other_plumber"], actor_id=cast["manager"])

    assert told() == sorted(
        [
            (cast["applicant"], "request.reassigned"),
            (cast["plumber"], "request.unassigned"),
            (cast["other_plumber"], "request.assigned"),
        ]
    )


def test_an_internal_comment_never_reaches_the_applicant(cast):
    number = _assigned(cast)

    requests.comment_add(
        number=number, author_id=cast["manager"], actor_kind="manager", text="Tenant is rude", internal=True
    )

    assert told() == []
    assert not Notification.objects.filter(account_id=cast["applicant"]).exists()


def test_a_public_comment_reaches_the_applicant_escaped_but_their_own_does_not(cast):
    number = _assigned(cast)

    requests.comment_add(number=number, author_id=cast["plumber"], actor_kind="executor", text="Coming <i>at 5</i>")
    drain(max_seconds=10)
    message = Notification.objects.get(account_id=cast["applicant"], channel="telegram")
    assert message.event_type == "request.comment_added"
    assert "Coming &lt;i&gt;at 5&lt;/i&gt;" in message.text
    assert told() == [(cast["applicant"], "request.comment_added")]

    requests.comment_add(number=number, author_id=cast["applicant"], actor_kind="applicant", text="Thanks")
    assert told() == []


def test_nobody_is_told_of_their_own_move(cast):
    number = _assigned(cast)

    requests.request_move(number=number, to_status="cancelled", actor_kind="applicant", actor_id=cast["applicant"])

    assert told() == [(cast["plumber"], "request.cancelled")]


def test_the_executor_starting_tells_the_applicant_only(cast):
    number = _assigned(cast)

    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=cast["plumber"])

    assert told() == [(cast["applicant"], "request.work_started")]


def _status_event(number: str, old: str, new: str, actor_id: int | None, reason: str = "") -> Event:
    data = {
        "number": number,
        "old_status": old,
        "new_status": new,
        "actor_id": actor_id,
        "actor_kind": "x",
        "reason": reason,
    }
    return Event(
        id=uuid.uuid4(),
        type="request.status_changed",
        source="ukbot/requests",
        subject=number,
        time=timezone.now(),
        data=data,
    )


def test_a_return_tells_the_executor_with_the_reason_and_confirmed_work_asks_the_applicant(cast):
    number = _assigned(cast)

    handlers.request_status_changed(
        _status_event(number, "confirmed", "returned", cast["applicant"], "Still <dripping>")
    )
    handlers.request_status_changed(_status_event(number, "completed", "confirmed", cast["manager"]))

    returned = Notification.objects.get(account_id=cast["plumber"], channel="telegram")
    assert returned.event_type == "request.returned" and "Still &lt;dripping&gt;" in returned.text
    confirmed = Notification.objects.get(account_id=cast["applicant"], channel="telegram")
    assert confirmed.event_type == "request.confirmed"
    assert confirmed.buttons == [
        [
            {"text": "Принять", "callback_data": f"req:accept:{number}"},
            {"text": "Вернуть", "callback_data": f"req:return:{number}"},
        ]
    ]


def test_a_handler_run_twice_queues_nothing_new(cast):
    number = _assigned(cast)
    event = _status_event(number, "assigned", "in_progress", cast["plumber"])

    handlers.request_status_changed(event)
    handlers.request_status_changed(event)

    assert Notification.objects.filter(account_id=cast["applicant"]).count() == 1


def test_materials_go_to_managers_and_decisions_to_the_executor(cast):
    number = _assigned(cast)
    (line,) = requests.materials_request(
        number=number,
        actor_kind="executor",
        actor_id=cast["plumber"],
        items=[{"item": "Tap", "quantity": 1, "unit": "pcs"}],
    )
    assert told() == [(cast["manager"], "request.materials_requested")]

    requests.material_decide(material_id=line.pk, to_status="rejected", actor_id=cast["manager"], reason="No <stock>")
    drain(max_seconds=10)
    decided = Notification.objects.get(account_id=cast["plumber"], channel="telegram")
    assert decided.event_type == "request.materials_decided"
    assert "Tap — отклонено" in decided.text and "No &lt;stock&gt;" in decided.text


def test_an_sla_breach_tells_the_managers(cast):
    number = _request(cast, urgency="critical")
    told()

    requests_sla_sweep(now=timezone.now() + timezone.timedelta(hours=1))

    assert told() == [(cast["manager"], "request.sla_breached")]
    assert number


def requests_sla_sweep(**kwargs) -> None:
    from ukbot.requests import services

    services.sla_sweep(**kwargs)


def test_critical_requests_override_quiet_hours_and_others_wait(cast):
    services.preference_set(
        account_id=cast["plumber"], time_zone="Asia/Tashkent", quiet_from=time(0, 0), quiet_to=time(23, 59)
    )
    calm = _request(cast)
    burst = _request(cast, urgency="critical")
    told()

    requests.request_reassign(number=calm, executor_id=cast["plumber"], actor_id=cast["manager"])
    requests.request_reassign(number=burst, executor_id=cast["plumber"], actor_id=cast["manager"])
    drain(max_seconds=10)

    waiting = Notification.objects.get(account_id=cast["plumber"], subject=calm, channel="telegram")
    urgent = Notification.objects.get(account_id=cast["plumber"], subject=burst, channel="telegram")
    assert waiting.not_before is not None and waiting.not_before.astimezone(ZoneInfo("Asia/Tashkent")).time() == time(
        23, 59
    )
    assert waiting.urgent is False
    assert urgent.not_before is None and urgent.urgent is True


def test_messages_speak_the_profile_language_and_go_to_every_channel_switched_on(cast):
    users.profile_update(account_id=cast["plumber"], language="uz")
    ChannelSetting.objects.create(account_id=cast["plumber"], channel="email", enabled=True)
    number = _request(cast)
    told()

    requests.request_reassign(number=number, executor_id=cast["plumber"], actor_id=cast["manager"])
    drain(max_seconds=10)

    telegram = Notification.objects.get(account_id=cast["plumber"], channel="telegram")
    email = Notification.objects.get(account_id=cast["plumber"], channel="email")
    assert telegram.language == email.language == "uz"
    assert telegram.text.startswith(f"Sizga <b>{number}</b> ariza tayinlandi (oʻrtacha).\nSantexnika")
    assert email.title == f"Yangi ariza {number}"
    assert email.text.startswith(f"Sizga {number} ariza tayinlandi")  # the template's tags are gone
    assert "Leak <b>under</b> the sink & more" in email.text  # plain text: nothing to escape


def test_a_channel_switched_off_gets_nothing(cast):
    services.preference_set(account_id=cast["plumber"], channels={"telegram": False})
    number = _request(cast)
    told()

    requests.request_reassign(number=number, executor_id=cast["plumber"], actor_id=cast["manager"])

    assert told() == [(cast["applicant"], "request.executor_assigned")]


def test_verification_and_apartment_links_tell_managers_and_then_the_person(cast):
    worker = person("applicant")
    application = verification.verification_apply(account_id=worker, specialization="plumber", documents=[])
    assert told() == [(cast["manager"], "user.verification_submitted")]

    verification.verification_review(
        application_id=application.pk, reviewer_id=cast["manager"], approve=False, reason="Blurry <scan>"
    )
    drain(max_seconds=10)
    rejected = Notification.objects.get(account_id=worker, channel="telegram")
    assert rejected.event_type == "user.verification_rejected" and "Blurry &lt;scan&gt;" in rejected.text
    told()

    again = verification.verification_apply(account_id=worker, specialization="plumber", documents=[])
    told()
    verification.verification_review(application_id=again.pk, reviewer_id=cast["manager"], approve=True)
    assert (worker, "user.verified") in told()

    yard = users.yard_create(name=f"Yard {uuid.uuid4().hex[:6]}")
    building = users.building_create(yard_id=yard.pk, address="Navoi 5")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="7")
    link = users.apartment_link_request(account_id=cast["applicant"], apartment_id=apartment.pk, relation="owner")
    assert told() == [(cast["manager"], "user.apartment_link_requested")]

    users.apartment_link_approve(link_id=link.pk, reviewer_id=cast["manager"])
    assert told() == [(cast["applicant"], "user.apartment_link_approved")]


def test_quiet_hours_follow_the_persons_time_zone():
    tashkent = datetime(2026, 1, 15, 18, 30, tzinfo=ZoneInfo("UTC"))  # 23:30 in Tashkent, 18:30 in London

    in_tashkent = services.quiet_until(time_zone="Asia/Tashkent", quiet_from=time(22), quiet_to=time(7), now=tashkent)
    in_london = services.quiet_until(time_zone="Europe/London", quiet_from=time(22), quiet_to=time(7), now=tashkent)

    assert in_tashkent == datetime(2026, 1, 16, 2, 0, tzinfo=ZoneInfo("UTC"))  # 07:00 next morning in Tashkent
    assert in_london is None
    assert Preference.objects.count() == 0
