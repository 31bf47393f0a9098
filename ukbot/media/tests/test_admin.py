"""Admin pages show files through short-lived signed links: the media list, request attachments, verification."""

from __future__ import annotations

import pytest

from tests.factories import media_file
from ukbot.media.models import MediaFile
from ukbot.users import services as users
from ukbot.users import verification

pytestmark = pytest.mark.django_db


def test_the_media_list_is_read_only_with_thumbnails(admin_client):
    photo = media_file(700301, "jpeg", name="двор.jpg")
    document = media_file(700301, "pdf", name="акт.pdf")
    quarantined = media_file(700301, "png", name="bad.png")
    MediaFile.objects.filter(pk=quarantined).update(scan_status="infected")

    page = admin_client.get("/admin/media/mediafile/")

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<img src="/api/v1/media/signed/') == 1 and 'alt="двор.jpg"' in html
    assert ">акт.pdf</a>" in html
    assert admin_client.get(f"/admin/media/mediafile/{photo}/change/").status_code == 200
    assert admin_client.get("/admin/media/mediafile/add/").status_code == 403
    assert admin_client.post(f"/admin/media/mediafile/{document}/delete/").status_code == 403


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
