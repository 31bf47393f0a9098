"""Create the first admin account for a local run, once, and make every superuser an administrator of the service.

With DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD set, that account is created if missing. Without
them, and only while no superuser exists, an ``admin`` account with a generated password is created and the
password printed this one time.

Then every active superuser (this one, or ones made with ``createsuperuser``) gets an approved profile with the
``admin`` role, so that their API token carries the admin scopes, not an empty role (decision 0027). Safe to run
at every start.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ukbot.auth.models import Account
from ukbot.users import public as users_public


class Command(BaseCommand):
    help = "Create the admin account from DJANGO_SUPERUSER_* (or one printed once); superusers become admins."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if bool(username) != bool(password):
            raise CommandError("DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD: set both or neither")
        generated = ""
        with transaction.atomic():
            if username:
                if Account.objects.filter(username=username).exists():
                    self.stdout.write(f"admin account {username!r} exists")
                else:
                    Account.objects.create_superuser(username=username, email="", password=password)
                    self.stdout.write(f"admin account {username!r} created from DJANGO_SUPERUSER_USERNAME")
            elif Account.objects.filter(is_superuser=True).exists():
                self.stdout.write("an admin account exists")
            else:
                generated = secrets.token_urlsafe(12)
                Account.objects.create_superuser(username="admin", email="", password=generated)
            for account_id in Account.objects.filter(is_superuser=True, is_active=True).values_list("pk", flat=True):
                access = users_public.admin_role_ensure(account_id=account_id)
                if access.status == "blocked":
                    self.stdout.write(self.style.WARNING(f"superuser {account_id} is blocked in the service"))
        if generated:
            self.stdout.write(self.style.WARNING(f"created admin account: username admin, password {generated}"))
            self.stdout.write("(printed only now; set DJANGO_SUPERUSER_USERNAME/PASSWORD to choose your own)")
