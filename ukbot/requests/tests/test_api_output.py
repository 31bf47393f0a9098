"""The hand-built representation of a request equals what the declared serializer fields would produce."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from tests.factories import executor
from ukbot.requests import services
from ukbot.requests.api.common import RequestDetailOutput, RequestOutput
from ukbot.requests.models import Attachment, Request

pytestmark = pytest.mark.django_db


def _generic(serializer) -> dict:
    return serializers.Serializer.to_representation(serializer, serializer.instance)


def test_fast_representation_matches_the_declared_fields():
    worker = executor("plumber")
    now = timezone.now()
    request = services.request_create(
        applicant_id=101,
        category="plumbing",
        description="Leak",
        contact_phone="+998901234567",
        visit_from=now + timedelta(hours=1),
        visit_to=now + timedelta(hours=3),
        floor=3,
        entrance="2",
    )
    services.request_move(
        number=request.number, to_status="assigned", actor_kind="manager", actor_id=1, executor_id=worker
    )
    Attachment.objects.create(request=request, media_id=uuid.uuid4(), kind="after", added_by=worker)
    Request.objects.filter(pk=request.pk).update(reaction_deadline=now - timedelta(minutes=5), rating=4)
    for item in (
        Request.objects.get(pk=request.pk),
        services.request_create(applicant_id=7, category="other", description="x"),
    ):
        fast = RequestOutput(item)
        assert fast.data == _generic(fast)
        detail = RequestDetailOutput(item, context={"actor_kind": "manager", "account_id": 1})
        assert detail.data == _generic(detail)
        assert set(fast.data) == set(RequestOutput().fields)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tashkent", "America/St_Johns"])
def test_fast_times_match_the_declared_fields_in_any_current_zone(zone):
    # given a request read back from the database (aware times) and one with a naive and a missing time
    item = services.request_create(applicant_id=7, category="other", description="x")
    read = Request.objects.get(pk=item.pk)
    naive = Request.objects.get(pk=item.pk)
    naive.visit_from = timezone.make_naive(read.created_at, timezone.get_fixed_timezone(0))
    with timezone.override(zone):
        for request in (item, read, naive):
            fast = RequestOutput(request)
            # then every time is what the serializer's DateTimeField gives ("Z" for UTC, the zone's offset else)
            assert fast.data == _generic(fast)
        assert fast.data["created_at"].endswith("Z") == (zone == "UTC")


def test_a_page_of_requests_is_each_request_as_shown_alone():
    # given requests, one of them overdue, shown as a page and one by one
    items = [services.request_create(applicant_id=7, category="other", description=f"x{n}") for n in range(3)]
    Request.objects.filter(pk=items[1].pk).update(reaction_deadline=timezone.now() - timedelta(minutes=5))
    rows = list(Request.objects.filter(pk__in=[item.pk for item in items]).order_by("pk"))

    page = RequestOutput(rows, many=True).data

    assert page == [RequestOutput(row).data for row in rows]
    assert [row["overdue"] for row in page] == [False, True, False]
    details = RequestDetailOutput(rows, many=True, context={"actor_kind": "manager", "account_id": 1}).data
    assert all("allowed_moves" in row for row in details)
