from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ukbot.core"
    label = "core"
    verbose_name = "Core: event bus and API plumbing"

    def ready(self) -> None:
        from ukbot.core.events import registry

        registry.autodiscover()
