from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "ukbot.media"
    label = "media"
    verbose_name = "Media files"
