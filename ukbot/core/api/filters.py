"""django-filter's DRF backend, minus the per-request class: the ``FilterSet`` of ``filterset_fields`` is built once.

``DjangoFilterBackend`` defines a new ``AutoFilterSet`` class for every request of a view that names
``filterset_fields``; its metaclass then inspects the model and creates every filter again, which costs about as
much as a small query. The class depends only on the view, the model and the fields, so it is kept per view class.
"""

from __future__ import annotations

import copy
import threading

import django_filters
from django_filters.rest_framework import DjangoFilterBackend


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


class FastFilterSet(django_filters.FilterSet):
    """A FilterSet that does not rebuild itself on every request.

    ``FilterSet`` deep-copies its filters, builds a form class and deep-copies the form's fields per request:
    for a dozen filters that costs more than the query it narrows. Filters here are copied shallowly (each
    instance still gets its own ``parent``), and the form class is built once per FilterSet class with fields
    shared read-only by its instances. Not for filters whose form fields depend on the request (e.g. a
    ``ModelChoiceFilter`` with a queryset callable).
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
        for name, filter_ in base.items():
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
        form = cls.__dict__.get("_form_class")
        if form is None:
            form = super().get_form_class()
            form.base_fields = _SharedFields(form.base_fields)
            cls._form_class = form
        return form
