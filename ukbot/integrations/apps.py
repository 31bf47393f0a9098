from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "ukbot.integrations"
    label = "integrations"
    verbose_name = "Integrations: sheets and webhooks"
