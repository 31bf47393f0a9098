"""The settings mypy's Django plugin loads: ukbot.settings with fixed stand-ins for the values it requires.

The plugin imports the settings to learn the installed apps, the models and the settings' names; it connects to
nothing. Fixing these values here makes a plain ``mypy`` run work outside ``make`` and gives every run the same
answer whatever the shell's environment says.
"""

import os

os.environ.update(
    {
        "DJANGO_DEBUG": "1",
        "SECRET_KEY": "mypy-placeholder-" * 3,  # so nothing is generated under var/
        "DATABASE_URL": "postgres://localhost/ukbot",
        "REDIS_URL": "redis://localhost:6379/0",
    }
)

from ukbot.settings import *  # noqa: F403 - the project's settings, as they are
