from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "ukbot.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Celery's autodiscovery imports only tasks.py; the bulk-send task lives in its own module.
        from ukbot.notifications import bulk  # noqa: F401
