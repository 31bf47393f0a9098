"""The API docs pages (Swagger UI, ReDoc) under the strict Content-Security-Policy of HTML pages (decision 0025).

Swagger UI: drf-spectacular's split view serves the page's start-up script as a separate request (``?script``),
so the page runs scripts from this origin only; our template takes the page's inline styles to a file.

ReDoc: its bundle draws with styled-components, which writes ``<style>`` elements at run time (refused, the page
stays blank), and builds its search index in a worker made from a ``blob:`` URL. So this page alone also allows
inline styles and blob workers (only its own scripts, all from this origin, can make one), never inline scripts.
The "API docs by Redocly" logo it loads from Redocly's CDN stays refused: the docs load nothing from elsewhere, and
ReDoc drops the image when it fails.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "core/swagger_ui.html"


@method_decorator(csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}), name="dispatch")
class RedocView(SpectacularRedocView):
    # Our template drops the Google Fonts links of drf-spectacular's: docs are served offline.
    template_name = "core/redoc.html"
