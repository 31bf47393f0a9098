"""django-filter's DRF backend, minus the per-request class: the ``FilterSet`` of ``filterset_fields`` is built once.

``DjangoFilterBackend`` defines a new ``AutoFilterSet`` class for every request of a view that names
``filterset_fields``; its metaclass then inspects the model and creates every filter again, which costs about as
much as a small query. The class depends only on the view, the model and the fields, so it is kept per view class.
"""

from __future__ import annotations

import threading

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
