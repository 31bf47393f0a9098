from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ukbot.core"
    label = "core"
    verbose_name = _("Event bus")

    def ready(self) -> None:
        from ukbot.core.events import registry

        registry.autodiscover()
