from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ukbot.notifications"
    label = "notifications"
    verbose_name = "Notifications"
