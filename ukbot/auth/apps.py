from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthConfig(AppConfig):
    name = "ukbot.auth"
    label = "ukbot_auth"
    verbose_name = _("Identity")

    def ready(self) -> None:
        # Registers the OpenAPI description of our bearer-JWT authentication with drf-spectacular.
        from ukbot.auth.api import schema  # noqa: F401
