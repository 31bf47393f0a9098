"""HTTP middleware of the shared kernel."""

from __future__ import annotations

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
