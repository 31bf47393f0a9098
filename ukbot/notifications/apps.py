from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "ukbot.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from ukbot.core.metrics import register_scrape_collector
        from ukbot.notifications.metrics import NotificationQueueCollector

        register_scrape_collector(NotificationQueueCollector())
