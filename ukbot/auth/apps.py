from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthConfig(AppConfig):
    name = "ukbot.auth"
    label = "ukbot_auth"
    verbose_name = _("Identity")
