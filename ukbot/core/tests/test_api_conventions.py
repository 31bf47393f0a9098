"""Every API view in the URLconf follows the conventions of core.api.views (DRF cannot enforce them itself)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, path
from django.urls.resolvers import RegexPattern
from rest_framework.response import Response
from rest_framework.views import APIView

from ukbot.core.api.views import Api
from ukbot.core.idempotency import METHODS, IdempotencyMixin

WRITE_HANDLERS = {method.lower() for method in METHODS}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def write_views_without_idempotency(resolver: URLResolver) -> list[str]:
    """Routes of DRF views that accept a write method but do not include IdempotencyMixin."""
    missing = []
    for route, pattern in _patterns(resolver):
        view_class = getattr(pattern.callback, "cls", None)  # DRF's as_view() sets it
        if view_class is None or not issubclass(view_class, APIView):
            continue
        actions = getattr(pattern.callback, "actions", None)  # viewsets map methods to actions
        handlers = set(actions) if actions else {name for name in WRITE_HANDLERS if hasattr(view_class, name)}
        if handlers & WRITE_HANDLERS and not issubclass(view_class, IdempotencyMixin):
            missing.append(route)
    return missing


def test_every_write_api_view_of_the_project_has_idempotency():
    assert write_views_without_idempotency(get_resolver("ukbot.urls")) == []


def test_every_write_api_view_of_the_test_urls_has_idempotency():
    assert write_views_without_idempotency(get_resolver("ukbot.core.tests.api_urls")) == []


def test_a_bare_apiview_with_a_write_handler_is_reported():
    class BarePost(APIView):
        def post(self, request):
            return Response({})

    class BareGet(APIView):
        def get(self, request):
            return Response({})

    class GoodPost(Api):
        def post(self, request):
            return Response({})

    resolver = URLResolver(
        RegexPattern(r"^/"),
        [path("bare/", BarePost.as_view()), path("read/", BareGet.as_view()), path("good/", GoodPost.as_view())],
    )

    assert write_views_without_idempotency(resolver) == ["bare/"]
