"""The media admin list: read-only, images as thumbnails through short-lived signed links."""

from __future__ import annotations

import pytest

from tests.factories import media_file
from ukbot.media.models import MediaFile

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
