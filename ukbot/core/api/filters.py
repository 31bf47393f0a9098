"""The API's filter backends: django-filter's, minus the per-request class (the ``FilterSet`` of
``filterset_fields`` is built once), a ``FilterSet`` that works only the filters a query names, and an ordering
with the primary key as the last tie-break.

``DjangoFilterBackend`` defines a new ``AutoFilterSet`` class for every request of a view that names
``filterset_fields``; its metaclass then inspects the model and creates every filter again, which costs about as
much as a small query. The class depends only on the view, the model and the fields, so it is kept per view class.
"""

from __future__ import annotations

import copy
import threading

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters


class FilterBackend(DjangoFilterBackend):
    _built: dict = {}
    _lock = threading.Lock()

    def get_filterset_class(self, view, queryset=None):
        if getattr(view, "filterset_class", None) or queryset is None:
            return super().get_filterset_class(view, queryset)
        fields = getattr(view, "filterset_fields", None)
        if not fields:
            return None
        key = (type(self), type(view), queryset.model)
        cached = self._built.get(key)
        if cached is not None and cached[0] == fields:
            return cached[1]
        built = super().get_filterset_class(view, queryset)
        with self._lock:
            self._built[key] = (fields, built)
        return built


class _SharedFields(dict):
    """The fields of a filter form: Django deep-copies a form's fields for every instance; filter forms never
    change theirs, so the instances share them (a shallow copy)."""

    def __deepcopy__(self, memo):
        return dict(self)


def _named(filters: dict, data) -> dict:
    """The filters a query string names (its own name, or a widget's suffixed one such as ``created_after``)."""
    if data is None:
        return filters
    keys = tuple(data.keys())
    return {
        name: filter_
        for name, filter_ in filters.items()
        if any(key == name or key.startswith(f"{name}_") for key in keys)
    }


class FastFilterSet(django_filters.FilterSet):
    """A FilterSet that does not rebuild itself on every request, and works only the filters a query names.

    ``FilterSet`` deep-copies its filters, builds a form class and deep-copies the form's fields per request, then
    validates every field: for a dozen filters that costs more than the query it narrows. Here only the filters
    the query string names take part: an absent filter has an empty value, which django-filter skips anyway, so
    the result is the same. Those are copied shallowly (each instance still gets its own ``parent``), and the
    form class is built once per FilterSet class and set of named filters, with fields shared read-only by its
    instances. Not for filters whose form fields depend on the request (e.g. a ``ModelChoiceFilter`` with a
    queryset callable) nor for filters that act when absent.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        base = self.base_filters
        self.base_filters = {}  # the parent's deepcopy then copies nothing
        try:
            super().__init__(data, queryset, request=request, prefix=prefix)
        finally:
            del self.base_filters
        model = self.queryset.model
        self.filters = {}
        for name, filter_ in _named(base, None if prefix else data).items():
            if "_field" not in filter_.__dict__:
                # A filter builds its form field (and label) lazily and keeps it; a multiple-choice filter asks for
                # it on every query. Built once on the class's filter, it is shared by the copies as the form's is.
                filter_.model = model
                filter_.field  # noqa: B018 - evaluated for its cached side effect
            mine = copy.copy(filter_)
            mine.model, mine.parent = model, self
            if filter_.method is not None:
                mine.method = filter_.method  # a method filter resolves its method through its own parent
            self.filters[name] = mine

    def get_form_class(self):
        cls = type(self)
        forms = cls.__dict__.get("_form_classes")
        if forms is None:
            forms = cls._form_classes = {}
        key = frozenset(self.filters)
        form = forms.get(key)
        if form is None:
            fields = {name: filter_.field for name, filter_ in self.filters.items()}
            form = type(str(f"{cls.__name__}Form"), (self._meta.form,), fields)
            form.base_fields = _SharedFields(form.base_fields)
            forms[key] = form
        return form


class OrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=``, with the primary key last unless the ordering names it: rows that tie on the chosen
    fields (many requests share an urgency) then keep their places from one page to the next."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or queryset is None:
            return ordering
        return with_tiebreak(ordering, queryset.model._meta.pk.name)


def with_tiebreak(ordering, pk_name: str) -> list[str]:
    """``ordering`` (field names, ``-`` for descending) ending with the primary key unless it names it already."""
    names = {field.lstrip("-") for field in ordering}
    return list(ordering) if names & {"pk", pk_name} else [*ordering, pk_name]
