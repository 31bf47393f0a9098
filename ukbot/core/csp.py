"""Content-Security-Policy on every answer (decision 0025): django-csp's middleware, one policy per kind of answer.

HTML pages (the admin, the API docs, Django's HTML error pages) get ``CONTENT_SECURITY_POLICY``: scripts, styles,
images and fonts from this origin only, no inline script, no framing. Anything else (the JSON API, the OpenAPI
schema, /metrics, static files, media downloads) renders nothing in a browser, so it gets the tighter
``CSP_NON_HTML_DIRECTIVES`` (``default-src 'none'``): a JSON body or an uploaded file opened directly in a tab can
load and run nothing. A view may still set its own with django-csp's decorators (``csp_update``, ``csp_replace``).
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


def is_html(response: HttpResponseBase) -> bool:
    """Whether the answer is a page a browser renders (text/html or XHTML); one without a type counts as one."""
    content_type = (response.get("Content-Type") or "text/html").split(";", 1)[0].strip().lower()
    return content_type in {"text/html", "application/xhtml+xml"}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with ``CSP_NON_HTML_DIRECTIVES`` for answers that are not HTML pages."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        if not report_only and parts.config is None and not is_html(response):
            parts.config = default_config(settings.CSP_NON_HTML_DIRECTIVES)
        return parts
