#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from ukbot.core.env import exit_on_config_error

    exit_on_config_error(lambda: settings.INSTALLED_APPS)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
