from django.apps import AppConfig


class AuthConfig(AppConfig):
    name = "ukbot.auth"
    label = "ukbot_auth"
    verbose_name = "Identity: accounts, sessions, MFA"
