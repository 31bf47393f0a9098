"""The access rules of requests in one place: how a person acts, what they see (the pool included), the moves they
may make, and the cards and lists adapters show, all read through `requests.selectors`."""

from __future__ import annotations

import pytest

from tests.factories import executor, media_file, on_shift, person
from ukbot.core.errors import ValidationFailedError
from ukbot.core.models import OutboxEvent
from ukbot.media import public as media_public
from ukbot.requests import access, selectors, services
from ukbot.requests.statuses import Actor
from ukbot.users import services as users

pytestmark = pytest.mark.django_db
MANAGER = 303


def _apartment() -> int:
    yard = users.yard_create(name="ЖК «Access» test")
    building = users.building_create(yard_id=yard.pk, address="ул. Навои, 9")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    return users.apartment_create(entrance_id=entrance.pk, number="7").pk


def _resident_of(apartment: int, relation: str = "owner") -> int:
    account = person("applicant")
    link = users.apartment_link_request(account_id=account, apartment_id=apartment, relation=relation)
    users.apartment_link_approve(link_id=link.pk, reviewer_id=MANAGER)
    return account


def _file(applicant: int, **extra) -> str:
    return services.request_create(applicant_id=applicant, category="plumbing", description="Leak", **extra).number


@pytest.mark.parametrize(
    ("role", "scopes", "kind"),
    [
        ("manager", {"admin:requests", "write:requests"}, Actor.MANAGER),
        ("admin", {"admin:requests"}, Actor.MANAGER),
        (None, {"admin:requests"}, Actor.MANAGER),  # a service account filing external alerts
        ("executor", {"write:requests"}, Actor.EXECUTOR),
        ("inspector", {"write:requests"}, Actor.APPLICANT),
        ("applicant", {"write:requests"}, Actor.APPLICANT),
        ("manager", set(), Actor.APPLICANT),  # a role without the scope does not make a manager
    ],
)
def test_one_definition_of_how_a_person_acts_on_requests(role, scopes, kind):
    assert access.actor_kind_for(role=role, scopes=scopes) == kind


def test_a_co_resident_sees_the_card_but_may_make_no_move():
    apartment = _apartment()
    owner, tenant, stranger = _resident_of(apartment), _resident_of(apartment, "tenant"), person("applicant")
    number = _file(owner, apartment_id=apartment)

    mine = selectors.request_card(account_id=owner, actor_kind=Actor.APPLICANT, number=number)
    theirs = selectors.request_card(account_id=tenant, actor_kind=Actor.APPLICANT, number=number)
    nobody = selectors.request_card(account_id=stranger, actor_kind=Actor.APPLICANT, number=number)

    assert mine.moves == ("cancelled",)
    assert (theirs.number, theirs.moves) == (number, ())
    assert nobody is None
    assert [line.number for line in selectors.request_lines(account_id=tenant, actor_kind=Actor.APPLICANT).lines] == [
        number
    ]
    assert selectors.request_lines(account_id=tenant, actor_kind=Actor.APPLICANT, filed_by_me=True).total == 0


def test_an_executor_sees_the_pool_only_on_shift_in_the_trade_and_may_claim_from_it():
    number = _file(person("applicant"))
    plumber, electrician = executor("plumber"), executor("electrician")

    off_shift = selectors.request_card(account_id=plumber, actor_kind=Actor.EXECUTOR, number=number)
    on_shift(plumber, "plumber")
    on_shift(electrician, "electrician")
    card = selectors.request_card(account_id=plumber, actor_kind=Actor.EXECUTOR, number=number)

    assert off_shift is None
    assert card.moves == ("assigned",)
    assert selectors.request_card(account_id=electrician, actor_kind=Actor.EXECUTOR, number=number) is None
    assert [line.number for line in selectors.pool_lines(executor_id=plumber).lines] == [number]
    assert selectors.pool_lines(executor_id=electrician).total == 0
    assert selectors.request_for(account_id=plumber, actor_kind=Actor.EXECUTOR, number=number).number == number


def test_another_executors_request_is_not_seen_and_its_moves_are_not_offered():
    number = _file(person("applicant"))
    first, second = executor("plumber"), executor("plumber")
    services.request_reassign(number=number, executor_id=first, actor_id=MANAGER)
    request = selectors.request_get(number=number)

    assert selectors.request_for(account_id=second, actor_kind=Actor.EXECUTOR, number=number) is None
    assert selectors.request_moves_for(request=request, account_id=second, actor_kind=Actor.EXECUTOR) == []
    assert selectors.request_moves_for(request=request, account_id=first, actor_kind=Actor.EXECUTOR) == ["in_progress"]


def test_a_card_carries_the_open_question_the_history_and_the_managers_moves():
    number = _file(person("applicant"))
    services.request_move(
        number=number, to_status="clarification", actor_kind=Actor.MANAGER, actor_id=MANAGER, reason="Which flat?"
    )

    card = selectors.request_card(account_id=MANAGER, actor_kind=Actor.MANAGER, number=number)

    assert card.question == "Which flat?"
    assert [(line.to_status, line.reason) for line in card.history] == [("new", ""), ("clarification", "Which flat?")]
    assert "cancelled" in card.moves and "new" in card.moves  # back to where it was, or cancel
    assert (card.has_materials, card.overdue, card.version) == (False, False, 2)


def test_lists_narrow_by_status_and_keep_their_order_across_pages():
    applicant = person("applicant")
    numbers = [_file(applicant) for _ in range(7)]
    services.request_move(number=numbers[0], to_status="cancelled", actor_kind=Actor.MANAGER, actor_id=MANAGER)

    newest = selectors.request_lines(account_id=applicant, actor_kind=Actor.APPLICANT, limit=5)
    rest = selectors.request_lines(account_id=applicant, actor_kind=Actor.APPLICANT, offset=5, limit=5)
    fresh = selectors.request_lines(account_id=MANAGER, actor_kind=Actor.MANAGER, statuses={"new"}, order="oldest")

    assert newest.total == rest.total == 7
    assert [line.number for line in newest.lines + rest.lines] == numbers[::-1]
    assert [line.number for line in fresh.lines] == numbers[1:6] and fresh.total == 6


# --- filing with files, and adding files of several kinds: one transaction each ---------------------------------


def test_a_request_is_filed_with_its_photos_and_documents_in_one_call():
    resident = person("applicant")
    photo, document = media_file(resident), media_file(resident, "pdf")

    number = _file(resident, files=[(photo, "before"), (document, "document")])

    kinds = {str(a.media_id): a.kind for a in selectors.attachments_of(number=number)}
    assert kinds == {photo: "before", document: "document"}


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ("someone-elses", "media_ids"),  # a file another person uploaded
        ("unknown-kind", "kind"),
        ("after-photo", "kind"),  # a resident does not attach photos of finished work
    ],
)
def test_a_request_whose_files_cannot_be_attached_is_not_left_behind(files, field):
    resident, stranger = person("applicant"), person("applicant")
    mine = media_file(resident)
    given = {
        "someone-elses": [(mine, "before"), (media_file(stranger), "before")],
        "unknown-kind": [(mine, "selfie")],
        "after-photo": [(mine, "after")],
    }[files]

    with pytest.raises(ValidationFailedError) as refused:
        _file(resident, files=given)

    assert field in {detail.field for detail in refused.value.details}
    assert selectors.request_lines(account_id=resident, actor_kind=Actor.APPLICANT).total == 0
    assert not OutboxEvent.objects.filter(type="request.created").exists()
    assert media_public.file_info(media_id=mine).attached_kind == ""  # the file is free to use again


def test_files_of_several_kinds_are_added_together_or_not_at_all():
    resident = person("applicant")
    number = _file(resident)
    photo, document = media_file(resident), media_file(resident, "pdf")

    with pytest.raises(ValidationFailedError):
        services.files_attach(
            number=number, files=[(photo, "before"), (document, "selfie")], actor_id=resident, actor_kind="applicant"
        )
    with pytest.raises(ValidationFailedError):
        services.files_attach(number=number, files=[], actor_id=resident, actor_kind="applicant")
    assert list(selectors.attachments_of(number=number)) == []

    services.files_attach(
        number=number, files=[(photo, "before"), (document, "document")], actor_id=resident, actor_kind="applicant"
    )
    assert sorted(a.kind for a in selectors.attachments_of(number=number)) == ["before", "document"]
