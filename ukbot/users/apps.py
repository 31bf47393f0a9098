from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "ukbot.users"
    label = "users"
    verbose_name = "Users: profiles, places, roles, verification"
