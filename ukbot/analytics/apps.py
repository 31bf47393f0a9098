from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ukbot.analytics"
    label = "analytics"
    verbose_name = "Analytics and reports"
