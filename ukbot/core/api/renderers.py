"""JSON rendering with the success envelope of DESIGN §8: ``{"data": …}`` (lists add ``meta`` and ``links``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http.response import HttpResponseBase
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

# Set on a Response whose data already is an envelope (PagePagination sets it on paginated lists).
ENVELOPED = "enveloped"


def mark_enveloped(response: Response) -> Response:
    """Tell EnvelopeJSONRenderer that ``response.data`` is already ``{"data", "meta", "links"}``; return it."""
    setattr(response, ENVELOPED, True)
    return response


class EnvelopeJSONRenderer(JSONRenderer):
    """Wrap successful bodies as ``{"data": …}``; leave errors, empty bodies and paginated lists as they are.

    Errors are already ``{"error": …}``: the exception handler built them (DRF marks such responses with
    ``exception``), and a view has no business returning a 4xx/5xx body of its own, so no status >= 400 is wrapped.
    """

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if data is not None and response is not None and self._wraps(response):
            data = {"data": data}
        return super().render(data, accepted_media_type, renderer_context)

    @staticmethod
    def _wraps(response: HttpResponseBase) -> bool:
        if getattr(response, "exception", False) or getattr(response, ENVELOPED, False):
            return False
        return response.status_code < 400
