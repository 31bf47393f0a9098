from django.contrib import admin
from django.urls import path

from ukbot.core import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
]

# JSON error envelope under /api/, Django's HTML pages elsewhere (admin).
handler400 = "ukbot.core.api.errors.bad_request"
handler403 = "ukbot.core.api.errors.permission_denied"
handler404 = "ukbot.core.api.errors.page_not_found"
handler500 = "ukbot.core.api.errors.server_error"
