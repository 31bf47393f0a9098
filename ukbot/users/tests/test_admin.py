"""Django admin for dispatchers: the lists render, block/unblock work and changes go through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ukbot.users import services
from ukbot.users.models import Entrance, Profile, RoleGrant, Specialization
from ukbot.users.tests.factories import account_id, apartment, events, profile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["profile", "rolegrant", "specialization", "yard", "building", "entrance", "apartment"]
)
def test_every_changelist_renders_for_a_superuser(admin_client, model):
    person = profile(roles=("executor", "applicant"), first_name="Sardor", phone="+998907777777")
    services.specialization_set(account_id=person.account_id, key="plumber", level=3)
    apartment()

    response = admin_client.get(reverse(f"admin:users_{model}_changelist"))

    assert response.status_code == 200


def test_the_profile_list_shows_roles_and_searches_by_name_and_phone(admin_client):
    profile(roles=("executor", "applicant"), first_name="Sardor", phone="+998907777777")
    profile(first_name="Malika")
    url = reverse("admin:users_profile_changelist")

    by_name = admin_client.get(url, {"q": "sardor"}, HTTP_ACCEPT_LANGUAGE="en")
    by_phone = admin_client.get(url, {"q": "7777777"})
    by_role = admin_client.get(url, {"role": "executor"})
    by_status = admin_client.get(url, {"status__exact": "blocked"})

    assert by_name.context["cl"].result_count == 1
    assert '<td class="field-roles">Executor, Applicant</td>' in by_name.content.decode()  # most privileged first
    assert by_phone.context["cl"].result_count == 1
    assert by_role.context["cl"].result_count == 1
    assert by_status.context["cl"].result_count == 0


def test_the_place_change_pages_render_with_their_inlines(admin_client):
    flat = apartment()
    house = flat.entrance.building

    for url in (
        reverse("admin:users_yard_change", args=[house.yard_id]),
        reverse("admin:users_building_change", args=[house.pk]),
        reverse("admin:users_entrance_change", args=[flat.entrance_id]),
        reverse("admin:users_apartment_change", args=[flat.pk]),
    ):
        assert admin_client.get(url).status_code == 200


def test_block_and_unblock_actions(admin_client):
    first, second = profile(), profile()
    url = reverse("admin:users_profile_changelist")
    selected = [first.pk, second.pk]

    blocked = admin_client.post(url, {"action": "block", "_selected_action": selected}, follow=True)
    statuses_after_block = sorted(Profile.objects.values_list("status", flat=True))
    admin_client.post(url, {"action": "unblock", "_selected_action": [first.pk]})

    assert blocked.status_code == 200
    assert statuses_after_block == ["blocked", "blocked"]
    assert Profile.objects.get(pk=first.pk).status == "approved"
    assert Profile.objects.get(pk=second.pk).status == "blocked"
    assert [(s, d["status"]) for _, s, d in events("user.profile_updated")] == [
        (str(first.account_id), "blocked"),
        (str(second.account_id), "blocked"),
        (str(first.account_id), "approved"),
    ]


def _inline_management(prefix: str, total: int, initial: int) -> dict[str, str | int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def test_adding_a_person_with_a_role_in_the_admin_goes_through_the_services(admin_client):
    person = account_id()
    data = {
        "account_id": person,
        "first_name": "Jasur",
        "last_name": "",
        "phone": "+998 90 555 44 33",
        "language": "uz",
        "bio": "",
        "settings": "{}",
        **_inline_management("role_grants", 1, 0),
        "role_grants-0-role": "executor",
        **_inline_management("specializations", 1, 0),
        "specializations-0-key": "elevator",
        "specializations-0-level": 4,
    }

    response = admin_client.post(reverse("admin:users_profile_add"), data)

    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    stored = Profile.objects.get(account_id=person)
    assert (stored.first_name, stored.phone, stored.language, stored.active_role) == (
        "Jasur",
        "+998905554433",
        "uz",
        "executor",
    )
    assert list(RoleGrant.objects.values_list("role", "granted_by")) == [("executor", response.wsgi_request.user.pk)]
    assert list(Specialization.objects.values_list("key", "level")) == [("elevator", 4)]
    assert [event[0] for event in events()] == ["user.created", "user.role_changed", "user.profile_updated"]


def test_removing_a_role_in_the_admin_revokes_it(admin_client):
    person = profile(roles=("manager", "applicant"), first_name="Aziz")
    grants = list(RoleGrant.objects.filter(profile_id=person.account_id).order_by("role"))  # applicant, manager
    data = {
        "first_name": "Aziz",
        "last_name": "",
        "phone": "",
        "language": "ru",
        "bio": "",
        "settings": "{}",
        **_inline_management("role_grants", 2, 2),
        "role_grants-0-id": grants[0].pk,
        "role_grants-0-profile": person.account_id,
        "role_grants-0-role": "applicant",
        "role_grants-1-id": grants[1].pk,
        "role_grants-1-profile": person.account_id,
        "role_grants-1-role": "manager",
        "role_grants-1-DELETE": "on",
        **_inline_management("specializations", 0, 0),
    }

    response = admin_client.post(reverse("admin:users_profile_change", args=[person.pk]), data)

    assert response.status_code == 302
    assert list(RoleGrant.objects.values_list("role", flat=True)) == ["applicant"]
    assert Profile.objects.get(pk=person.pk).active_role == "applicant"
    assert events("user.role_changed")[-1][2]["new_roles"] == ["applicant"]


def test_entrances_cannot_share_a_number_through_the_admin(admin_client):
    flat = apartment()
    house = flat.entrance.building

    response = admin_client.post(reverse("admin:users_entrance_add"), {"building": house.pk, "number": 1})

    assert response.status_code == 200  # the form comes back with the error
    assert Entrance.objects.count() == 1
