from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "bot"
    label = "bot"
    verbose_name = "Telegram bot"
