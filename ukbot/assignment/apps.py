from django.apps import AppConfig


class AssignmentConfig(AppConfig):
    name = "ukbot.assignment"
    label = "assignment"
    verbose_name = "Assignment and optimisation"
