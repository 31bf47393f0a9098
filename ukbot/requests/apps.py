from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "ukbot.requests"
    label = "requests"
    verbose_name = "Requests: the request lifecycle"
