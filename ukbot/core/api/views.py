"""Base classes for API operations (STYLE: one ``<Entity><Action>Api`` class per operation).

Every API view derives from one of these, so each gets the conventions of DESIGN §8 without asking: the
envelope and error format (from settings), ``Idempotency-Key`` on writes (:class:`IdempotencyMixin`), and for
lists pagination, django-filter filtering, search and ordering. ``test_api_conventions`` walks the URLconf and
fails for an API view that skips them.
"""

from __future__ import annotations

from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from ukbot.core.idempotency import IdempotencyMixin


class Api(IdempotencyMixin, APIView):
    """An operation: validate input with ``InputSerializer``, call one service, answer with ``OutputSerializer``."""


class ListApi(IdempotencyMixin, generics.ListAPIView):
    """GET a paginated list: ``?page=&per_page=`` (capped at API_MAX_PER_PAGE), filters, ``?search=``, ``?ordering=``.

    Subclasses set ``OutputSerializer`` and ``get_queryset()`` (calling a selector), plus whichever of
    ``filterset_fields``/``filterset_class``, ``search_fields`` and ``ordering_fields`` they offer. Without an
    ``?ordering=`` the list is ordered by ``ordering`` (primary key by default) so that pages are stable.
    """

    OutputSerializer: type[serializers.BaseSerializer]
    ordering = ("pk",)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return self.OutputSerializer


class UnknownEndpointApi(Api):
    """Any path under the API that no route matches: the JSON ``NOT_FOUND``, even with DEBUG on.

    Django answers an unmatched URL with its HTML debug page when DEBUG is on (``make run``), which an API client
    cannot read; this catch-all, mounted last, keeps the error envelope in every mode. It asks for no login, so
    an unknown path is a 404 for everyone rather than a 401.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    schema = None  # not an endpoint of the OpenAPI document

    def _not_found(self, request, *args, **kwargs):
        raise NotFound()

    get = post = put = patch = delete = options = _not_found
