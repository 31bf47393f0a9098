"""Profile services: create, update, block/unblock/approve, with bad input refused and nothing half-written."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation

from tests.factories import media_file
from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.users import services
from ukbot.users.models import Profile
from ukbot.users.tests.factories import account_id, events, profile

pytestmark = pytest.mark.django_db


def test_profile_create_stores_the_person_and_publishes_user_created():
    person = account_id()

    created = services.profile_create(
        account_id=person, first_name="Dilnoza", last_name="Karimova", phone="+998 (90) 123-45-67", language="uz"
    )

    stored = Profile.objects.get(account_id=person)
    assert (stored.pk, stored.first_name, stored.last_name, stored.phone, stored.language) == (
        created.pk,
        "Dilnoza",
        "Karimova",
        "+998901234567",
        "uz",
    )
    assert (stored.status, stored.active_role, stored.settings, stored.avatar_media_id) == ("pending", "", {}, None)
    assert events() == [
        (
            "user.created",
            str(person),
            {"account_id": person, "roles": [], "active_role": None, "status": "pending", "language": "uz"},
        )
    ]


def test_profile_create_defaults_to_russian_and_no_phone():
    created = services.profile_create(account_id=account_id())

    assert (created.language, created.phone, created.first_name) == ("ru", "", "")


def test_two_profiles_without_a_phone_do_not_clash():
    services.profile_create(account_id=account_id())
    services.profile_create(account_id=account_id())

    assert Profile.objects.filter(phone="").count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "901234567"}, "phone"),
        ({"phone": "+0123456789"}, "phone"),
        ({"phone": "+99890123456789012"}, "phone"),
        ({"phone": "+998abc"}, "phone"),
        ({"language": "de"}, "language"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"last_name": "nul\x00byte"}, "last_name"),
    ],
)
def test_profile_create_refuses_bad_fields_and_writes_nothing(fields, field):
    person = account_id()

    with pytest.raises(ValidationFailedError) as caught:
        services.profile_create(account_id=person, **fields)

    assert caught.value.code == "VALIDATION_ERROR"
    assert {detail.field for detail in caught.value.details} == {field}
    assert Profile.objects.count() == 0
    assert events() == []


@pytest.mark.parametrize("bad_id", [0, -4, "7", None, True, 1.5])
def test_profile_create_refuses_a_bad_account_id(bad_id):
    with pytest.raises(ValidationFailedError) as caught:
        services.profile_create(account_id=bad_id)

    assert [detail.field for detail in caught.value.details] == ["account_id"]
    assert Profile.objects.count() == 0


def test_profile_create_twice_for_one_account_is_a_conflict():
    existing = profile(first_name="Anvar")

    with pytest.raises(ConflictError) as caught:
        services.profile_create(account_id=existing.account_id, first_name="Other")

    assert caught.value.code == "CONFLICT"
    assert str(caught.value.message) == f"Account {existing.account_id} already has a profile."
    assert Profile.objects.get().first_name == "Anvar"
    assert [event[0] for event in events()] == ["user.created"]


def test_profile_create_with_another_persons_phone_is_a_conflict():
    profile(phone="+998901234567")
    newcomer = account_id()

    with pytest.raises(ConflictError) as caught:
        services.profile_create(account_id=newcomer, phone="+998 90 123 45 67")

    assert [(detail.field, detail.message) for detail in caught.value.details] == [
        ("phone", "This phone number belongs to another person.")
    ]
    assert not Profile.objects.filter(account_id=newcomer).exists()
    assert len(events("user.created")) == 1


def test_profile_update_changes_fields_and_names_them_in_the_event():
    person = profile(first_name="Old", phone="+998901111111")
    avatar = uuid.UUID(media_file(person.account_id, "png"))

    updated = services.profile_update(
        account_id=person.account_id,
        first_name="New",
        phone="+998901111111",  # unchanged: not named
        bio="Lives on the 3rd floor.",
        avatar_media_id=str(avatar),
        settings={"quiet_hours": [22, 8]},
    )

    stored = Profile.objects.get(account_id=person.account_id)
    assert (stored.first_name, stored.bio, stored.avatar_media_id, stored.settings) == (
        "New",
        "Lives on the 3rd floor.",
        avatar,
        {"quiet_hours": [22, 8]},
    )
    assert updated.pk == stored.pk
    assert events("user.profile_updated") == [
        (
            "user.profile_updated",
            str(person.account_id),
            {
                "account_id": person.account_id,
                "changed_fields": ["avatar_media_id", "bio", "first_name", "settings"],
                "status": "pending",
                "active_role": None,
            },
        )
    ]


def test_profile_update_without_a_change_publishes_nothing():
    person = profile(first_name="Same")

    services.profile_update(account_id=person.account_id, first_name="Same")

    assert events("user.profile_updated") == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": "approved"}, "status"),
        ({"active_role": "admin"}, "active_role"),
        ({"nickname": "x"}, "nickname"),
        ({"phone": "12345"}, "phone"),
        ({"language": "fr"}, "language"),
        ({"avatar_media_id": "not-a-uuid"}, "avatar_media_id"),
        ({"settings": ["a", "list"]}, "settings"),
        ({"bio": "b" * 1001}, "bio"),
    ],
)
def test_profile_update_refuses_bad_input_and_keeps_the_profile(fields, field):
    person = profile(first_name="Keep", phone="+998901111111")

    with pytest.raises(ValidationFailedError) as caught:
        services.profile_update(account_id=person.account_id, first_name="Changed", **fields)

    assert field in [detail.field for detail in caught.value.details]
    stored = Profile.objects.get(account_id=person.account_id)
    assert (stored.first_name, stored.phone, stored.status, stored.language) == (
        "Keep",
        "+998901111111",
        "pending",
        "ru",
    )
    assert events("user.profile_updated") == []


def _avatar_refusal(account: int, avatar) -> list[tuple[str | None, str]]:
    with pytest.raises(ValidationFailedError) as caught:
        services.profile_update(account_id=account, first_name="Changed", avatar_media_id=avatar)
    return [(detail.field, str(detail.message)) for detail in caught.value.details]


def test_an_avatar_must_be_an_image_the_person_uploaded_themselves():
    person, other = profile(first_name="Keep"), profile()
    theirs = media_file(other.account_id, "jpeg")
    pdf = media_file(person.account_id, "pdf")
    video = media_file(person.account_id, "mp4")

    not_own = [("avatar_media_id", "The avatar must be a file this person uploaded.")]
    not_image = [("avatar_media_id", "The avatar must be an image (JPEG, PNG, WebP or HEIC).")]
    assert _avatar_refusal(person.account_id, theirs) == not_own
    assert _avatar_refusal(person.account_id, uuid.uuid4()) == not_own
    assert _avatar_refusal(person.account_id, pdf) == not_image
    assert _avatar_refusal(person.account_id, video) == not_image
    stored = Profile.objects.get(account_id=person.account_id)
    assert (stored.first_name, stored.avatar_media_id) == ("Keep", None)
    assert events("user.profile_updated") == []

    own = media_file(person.account_id, "webp")
    services.profile_update(account_id=person.account_id, avatar_media_id=own)
    assert Profile.objects.get(account_id=person.account_id).avatar_media_id == uuid.UUID(own)
    # the other person may use their own file, and clearing an avatar needs no file
    services.profile_update(account_id=other.account_id, avatar_media_id=theirs)
    services.profile_update(account_id=person.account_id, avatar_media_id=None)
    assert Profile.objects.get(account_id=person.account_id).avatar_media_id is None


def test_the_avatar_refusal_is_translated():
    person = profile()
    with translation.override("uz"):
        assert _avatar_refusal(person.account_id, uuid.uuid4()) == [
            ("avatar_media_id", "Avatar faqat shu shaxs yuklagan fayl boʻlishi mumkin.")
        ]


def test_profile_update_to_another_persons_phone_is_a_conflict():
    profile(phone="+998901111111")
    person = profile(phone="+998902222222", first_name="Keep")

    with pytest.raises(ConflictError):
        services.profile_update(account_id=person.account_id, phone="+998901111111", first_name="Changed")

    stored = Profile.objects.get(account_id=person.account_id)
    assert (stored.phone, stored.first_name) == ("+998902222222", "Keep")
    assert events("user.profile_updated") == []


def test_profile_update_of_an_unknown_account_is_not_found():
    with pytest.raises(NotFoundError) as caught:
        services.profile_update(account_id=424242, first_name="Nobody")

    assert caught.value.code == "NOT_FOUND"
    assert str(caught.value.message) == "Account 424242 has no profile."


def test_block_then_unblock_publishes_status_changes_and_repeats_publish_nothing():
    person = profile()

    services.profile_block(account_id=person.account_id)
    services.profile_block(account_id=person.account_id)
    blocked = Profile.objects.get(account_id=person.account_id).status
    services.profile_unblock(account_id=person.account_id)
    services.profile_unblock(account_id=person.account_id)

    assert blocked == "blocked"
    assert Profile.objects.get(account_id=person.account_id).status == "approved"
    assert [(data["changed_fields"], data["status"]) for _, _, data in events("user.profile_updated")] == [
        (["status"], "blocked"),
        (["status"], "approved"),
    ]


def test_unblocking_a_pending_person_leaves_them_pending():
    person = profile()

    services.profile_unblock(account_id=person.account_id)

    assert Profile.objects.get(account_id=person.account_id).status == "pending"
    assert events("user.profile_updated") == []


def test_profile_approve_marks_the_person_approved_once():
    person = profile()

    services.profile_approve(account_id=person.account_id)
    services.profile_approve(account_id=person.account_id)

    assert Profile.objects.get(account_id=person.account_id).status == "approved"
    assert len(events("user.profile_updated")) == 1


def test_block_of_an_unknown_account_is_not_found():
    with pytest.raises(NotFoundError):
        services.profile_block(account_id=424242)


def test_messages_speak_russian_by_default():
    profile(phone="+998901234567")

    with pytest.raises(ConflictError) as caught:
        services.profile_create(account_id=account_id(), phone="+998901234567")

    with translation.override("ru"):
        assert str(caught.value.message) == "Этот номер телефона принадлежит другому человеку."
    with translation.override("uz"):
        assert str(caught.value.message) == "Bu telefon raqami boshqa odamga tegishli."
