from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from bot.webhook import telegram_webhook
from ukbot.core import docs, health

admin.site.site_header = _("UK Management Bot")
admin.site.site_title = _("UK Management Bot")
admin.site.index_title = _("Dispatch and administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("ukbot.api_urls")),
    # Under the strict Content-Security-Policy of HTML pages, offline (ukbot/core/docs.py, decision 0025).
    path("api/docs/", docs.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", docs.RedocView.as_view(url_name="schema"), name="redoc"),
    path("telegram/webhook/", telegram_webhook, name="telegram-webhook"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
]

# JSON error envelope under /api/, Django's HTML pages elsewhere (admin).
handler400 = "ukbot.core.api.errors.bad_request"
handler403 = "ukbot.core.api.errors.permission_denied"
handler404 = "ukbot.core.api.errors.page_not_found"
handler500 = "ukbot.core.api.errors.server_error"
