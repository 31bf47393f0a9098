"""HTTP middleware of the shared kernel."""

from __future__ import annotations

import io
import time

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.utils import translation
from django.utils.translation import gettext as _

from ukbot.core.tracing import new_trace_id, reset_trace_id, set_trace_id


class TraceIdMiddleware:
    """Take the trace id from X-Request-ID (or make one), keep it for logs and events, echo it back."""

    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        trace_id = new_trace_id(request.headers.get(self.header))
        request.trace_id = trace_id
        token = set_trace_id(trace_id)
        try:
            response = self.get_response(request)
        finally:
            reset_trace_id(token)
        response[self.header] = trace_id
        return response


class BodySizeLimitMiddleware:
    """Refuse a body larger than ``settings.MAX_REQUEST_BODY_BYTES`` with 413 PAYLOAD_TOO_LARGE, before any view.

    A path named in ``settings.MAX_REQUEST_BODY_BYTES_BY_PATH`` has its own limit instead (the media upload
    endpoint takes files up to the largest per-type limit; the upload service then checks the type's own limit).

    A declared Content-Length is checked without reading anything. A chunked body (no Content-Length) is read here,
    at most one byte past the limit, when the server hands it over already de-chunked: an ASGI server, or a WSGI
    server that sets ``wsgi.input_terminated`` (gunicorn does). The bytes read are put back as the request's
    stream and Content-Length is filled in, so Django and DRF then see the body as if it had been declared.
    """

    chunk_size = 64 * 1024

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = getattr(settings, "MAX_REQUEST_BODY_BYTES_BY_PATH", {}).get(
            request.path_info, settings.MAX_REQUEST_BODY_BYTES
        )
        declared = _content_length(request)
        if declared is not None:
            if declared > limit:
                return self._too_large(request, limit)
        elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            stream = self._terminated_stream(request)
            if stream is not None:
                body = self._read_at_most(stream, limit + 1)
                if len(body) > limit:
                    return self._too_large(request, limit)
                request._stream = io.BytesIO(body)
                request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)

    @staticmethod
    def _terminated_stream(request):
        if isinstance(request, ASGIRequest):
            return request._stream  # the ASGI handler spooled the whole body; its stream has no limit
        environ = getattr(request, "environ", {})
        if environ.get("wsgi.input_terminated"):
            return environ["wsgi.input"]
        return None  # plain WSGI cannot tell where a chunked body ends; Django reads it as empty

    def _read_at_most(self, stream, size: int) -> bytes:
        parts: list[bytes] = []
        remaining = size
        while remaining > 0:
            part = stream.read(min(self.chunk_size, remaining))
            if not part:
                break
            parts.append(part)
            remaining -= len(part)
        return b"".join(parts)

    @staticmethod
    def _too_large(request, limit: int):
        from ukbot.core.api.errors import error_response

        # LocaleMiddleware has not run yet: pick the caller's language here, as it would.
        with translation.override(translation.get_language_from_request(request)):
            message = _("The request body exceeds the limit of %(limit)d bytes.") % {"limit": limit}
        return error_response("PAYLOAD_TOO_LARGE", message)


def _content_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


class MetricsMiddleware:
    """Count requests and time them by method, route pattern and status, for ``/metrics``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from ukbot.core import metrics

        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            method=request.method,
            route=_route(request),
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response


def _route(request) -> str:
    # The URL pattern, not the path: ids in paths would make one time series per object.
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return "/" + (match.route or match.view_name or "<unnamed>")


class HealthzMiddleware:
    """Answer ``/healthz`` before anything else, host validation included: probes often come by IP address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in {"GET", "HEAD"}:
            from django.urls import resolve

            # Run the routed view directly, skipping only the middleware below (and its Host check).
            match = request.resolver_match = resolve(request.path_info)
            return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
