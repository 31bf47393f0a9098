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
        filterset_fields: list[str] = []

    assert FilterBackend().get_filterset_class(NoFilters(), AggregateSequence.objects.all()) is None


@pytest.mark.urls("ukbot.core.tests.api_urls")
def test_the_cached_filterset_filters_each_request_by_its_own_query(client, db):
    AggregateSequence.objects.bulk_create(AggregateSequence(aggregate=f"f-{n}", last=n) for n in range(1, 4))

    for last in (1, 2, 3):
        rows = client.get(f"/api/v1/sequences/?last={last}").json()["data"]
        assert [row["aggregate"] for row in rows] == [f"f-{last}"]


def test_a_fast_filterset_validates_and_filters_like_a_plain_one():
    import django_filters
    from django.http import QueryDict

    from ukbot.core.api.filters import FastFilterSet
    from ukbot.core.models import OutboxEvent

    class Plain(django_filters.FilterSet):
        type = django_filters.MultipleChoiceFilter(choices=[("a.b", "a.b"), ("c.d", "c.d")], distinct=False)
        subject = django_filters.CharFilter()
        recent = django_filters.BooleanFilter(method="filter_recent")

        class Meta:
            model = OutboxEvent
            fields = ("type", "subject", "recent")

        def filter_recent(self, queryset, name, value):
            return queryset.filter(sequence__gt=1) if value else queryset

    class Fast(FastFilterSet, Plain):
        pass

    for query in ("type=a.b&type=c.d&subject=x", "type=nonsense", "subject=y", "recent=true", ""):
        plain, fast = Plain(QueryDict(query)), Fast(QueryDict(query))
        assert plain.is_valid() == fast.is_valid()
        assert plain.errors == fast.errors
        if plain.is_valid():
            assert str(plain.qs.query) == str(fast.qs.query)
    first, second = Fast(QueryDict("type=a.b")), Fast(QueryDict("type=c.d"))
    assert first.filters["type"] is not second.filters["type"] and first.filters["type"].parent is first
    assert first.form.fields["type"] is second.form.fields["type"]  # shared, read-only
    assert second.is_valid() and second.form.cleaned_data["type"] == ["c.d"]
    # the form field (and label) each filter makes is made once and shared, as the form's is
    assert first.filters["type"].field is second.filters["type"].field is first.form.fields["type"]
    named = Fast(QueryDict("type=a.b&subject=z"))
    assert named.filters["subject"].label == Plain(QueryDict("")).filters["subject"].label
    # only the filters the query names take part (an absent one would be skipped for its empty value anyway)
    assert set(first.filters) == {"type"} and set(first.form.fields) == {"type"}
    assert set(named.form.fields) == {"type", "subject"} and set(Fast(QueryDict("")).filters) == set()


# --- id and yes/no filters refuse what the document refuses (decision 0026) -------------------------------------


def _sequence_filters():
    import django_filters

    from ukbot.core.api.filters import BooleanFilter, IdFilter

    class SequenceFilter(django_filters.FilterSet):
        last = IdFilter()
        big = BooleanFilter(method="filter_big")

        def filter_big(self, queryset, name, value):
            return queryset.filter(last__gte=30) if value else queryset.filter(last__lt=30)

        class Meta:
            model = AggregateSequence
            fields: list[str] = []

    return SequenceFilter


@pytest.mark.parametrize("query", ["last=0", "last=-1", "last=1.5", "last=1e3", "last=abc", "last=", f"last={2**63}"])
def test_an_id_filter_refuses_what_is_not_an_id(query):
    from django.http import QueryDict

    filterset = _sequence_filters()(QueryDict(query), queryset=AggregateSequence.objects.none())

    assert not filterset.is_valid()
    assert list(filterset.errors) == ["last"]


@pytest.mark.parametrize("query", ["big=1", "big=0", "big=yes", "big=", "big=maybe"])
def test_a_yes_no_filter_takes_true_or_false_only(query):
    from django.http import QueryDict

    filterset = _sequence_filters()(QueryDict(query), queryset=AggregateSequence.objects.none())

    assert not filterset.is_valid()
    assert list(filterset.errors) == ["big"]


def test_id_and_yes_no_filters_filter(db):
    from django.http import QueryDict

    AggregateSequence.objects.bulk_create(AggregateSequence(aggregate=f"b-{n}", last=n * 10) for n in range(1, 5))
    filters = _sequence_filters()

    def rows(query: str) -> list[str]:
        filterset = filters(QueryDict(query), queryset=AggregateSequence.objects.order_by("last"))
        assert filterset.is_valid(), filterset.errors
        return [row.aggregate for row in filterset.qs]

    assert rows("last=20") == ["b-2"]
    assert rows("big=true") == ["b-3", "b-4"]
    assert rows("big=FALSE") == ["b-1", "b-2"]
    assert rows("") == ["b-1", "b-2", "b-3", "b-4"]


def test_a_blank_choice_is_refused_not_ignored():
    # the filters built from filterset_fields refuse a blank choice, as the ones written out (ChoiceFilter) do
    from ukbot.core.api.filters import ChoiceFilter, StrictFilterSet

    class KindFilter(StrictFilterSet):
        kind = ChoiceFilter(choices=[("a", "A")])

    from django.http import QueryDict

    assert not KindFilter(QueryDict("kind="), queryset=AggregateSequence.objects.none()).is_valid()
    assert KindFilter(QueryDict("kind=a"), queryset=AggregateSequence.objects.none()).is_valid()
    assert KindFilter(QueryDict(""), queryset=AggregateSequence.objects.none()).is_valid()
