"""The filter backend builds the FilterSet of a view's ``filterset_fields`` once, and still filters per request."""

from __future__ import annotations

import pytest

from ukbot.core.api.filters import FilterBackend
from ukbot.core.models import AggregateSequence
from ukbot.core.tests.api_urls import SequenceListApi


def test_the_filterset_class_of_a_view_is_built_once():
    backend, queryset = FilterBackend(), AggregateSequence.objects.all()

    first = backend.get_filterset_class(SequenceListApi(), queryset)

    assert first is FilterBackend().get_filterset_class(SequenceListApi(), queryset)
    assert list(first.base_filters) == ["last"]


def test_other_fields_get_their_own_filterset_class():
    class OtherFields(SequenceListApi):
        filterset_fields = ["aggregate"]

    queryset = AggregateSequence.objects.all()
    built = FilterBackend().get_filterset_class(OtherFields(), queryset)

    assert list(built.base_filters) == ["aggregate"]
    assert FilterBackend().get_filterset_class(SequenceListApi(), queryset) is not built


def test_a_view_without_filterset_fields_is_not_filtered():
    class NoFilters(SequenceListApi):
        filterset_fields = ()

    assert FilterBackend().get_filterset_class(NoFilters(), AggregateSequence.objects.all()) is None


@pytest.mark.urls("ukbot.core.tests.api_urls")
def test_the_cached_filterset_filters_each_request_by_its_own_query(client, db):
    AggregateSequence.objects.bulk_create(AggregateSequence(aggregate=f"f-{n}", last=n) for n in range(1, 4))

    for last in (1, 2, 3):
        rows = client.get(f"/api/v1/sequences/?last={last}").json()["data"]
        assert [row["aggregate"] for row in rows] == [f"f-{last}"]
