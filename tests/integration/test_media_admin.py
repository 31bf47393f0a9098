"""Other apps' admin pages show their files through short-lived signed links: verification documents and the
identity documents of apartment links."""

from __future__ import annotations

import pytest

from tests.factories import media_file
from ukbot.users import services as users
from ukbot.users.services import verification

pytestmark = pytest.mark.django_db


def test_verification_documents_show_as_previews(admin_client):
    account_id = 700302
    users.profile_create(account_id=account_id)
    scan = media_file(account_id, "png", name="паспорт.png")
    diploma = media_file(account_id, "pdf", name="диплом.pdf")
    application = verification.verification_apply(
        account_id=account_id, specialization="plumber", documents=[scan, diploma]
    )

    page = admin_client.get(f"/admin/users/verificationapplication/{application.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'alt="паспорт.png"' in html and ">диплом.pdf</a>" in html


def test_apartment_link_documents_show_as_previews_in_the_moderation_queue(admin_client):
    account_id = 700303
    users.profile_create(account_id=account_id)
    yard = users.yard_create(name="ЖК media admin")
    building = users.building_create(yard_id=yard.pk, address="ул. Бабура, 3")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    flat = users.apartment_create(entrance_id=entrance.pk, number="9")
    document = media_file(account_id, "jpeg", name="договор.jpg")
    users.apartment_link_request(
        account_id=account_id, apartment_id=flat.pk, relation="tenant", document_media_id=document
    )

    page = admin_client.get("/admin/users/apartmentlink/")

    assert page.status_code == 200
    assert 'alt="договор.jpg"' in page.content.decode()
