"""Create the first admin account for a local run, once.

With DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD set, that account is created if missing. Without
them, and only while no superuser exists, an ``admin`` account with a generated password is created and the
password printed this one time.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create the admin account from DJANGO_SUPERUSER_* (or a generated one, printed once)."

    def handle(self, *args: Any, **options: Any) -> None:
        model = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if bool(username) != bool(password):
            raise CommandError("DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD: set both or neither")
        with transaction.atomic():
            if username:
                if model.objects.filter(username=username).exists():
                    self.stdout.write(f"admin account {username!r} exists")
                    return
                model.objects.create_superuser(username=username, email="", password=password)
                self.stdout.write(f"admin account {username!r} created from DJANGO_SUPERUSER_USERNAME")
                return
            if model.objects.filter(is_superuser=True).exists():
                self.stdout.write("an admin account exists")
                return
            password = secrets.token_urlsafe(12)
            model.objects.create_superuser(username="admin", email="", password=password)
        self.stdout.write(self.style.WARNING(f"created admin account: username admin, password {password}"))
        self.stdout.write("(printed only now; set DJANGO_SUPERUSER_USERNAME/PASSWORD to choose your own)")
