from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "ukbot.shifts"
    label = "shifts"
    verbose_name = "Shifts and planning"
