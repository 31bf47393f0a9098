"""``/api/v1/``: the OpenAPI schema and every domain app's ``api/urls.py``, each mounted at the API root.

An app adds its endpoints by creating ``ukbot/<app>/api/urls.py`` with ``app_name`` and full resource paths
(``path("requests/", …)``); nothing here changes.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from ukbot.core.api.views import UnknownEndpointApi


def app_url_modules() -> list[str]:
    """The ``<app>.api.urls`` modules that exist, for every app in settings.DOMAIN_APPS."""
    found = []
    for app in settings.DOMAIN_APPS:
        name = f"{app}.api.urls"
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{app}.api", name):
                raise  # the module exists but imports something missing: a real error
            continue
        found.append(name)
    return found


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    *(path("", include(module)) for module in app_url_modules()),
    re_path(r"^[\s\S]*$", UnknownEndpointApi.as_view(), name="unknown-endpoint"),  # last: JSON 404 in every mode
]
