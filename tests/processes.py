"""What a process a test starts (gunicorn, the bot, a worker) needs to see the test's world."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def database_url() -> str:
    """DATABASE_URL naming the test database, however the server is reached (a host and port, or the socket
    directory of the embedded server that `make test` starts), so the process sees the rows the test wrote."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))
