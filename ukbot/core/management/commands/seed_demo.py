"""Load demo data: every app that has a ``demo.py`` with ``seed()`` adds its part, idempotently."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load idempotent demo data from each app's demo.seed()."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            self.stdout.write("demo data: skipped (DEMO=0)")
            return
        seeded = []
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if not config.name.startswith("ukbot.") or find_spec(module_name) is None:
                continue
            with transaction.atomic():
                summary = import_module(module_name).seed()
            seeded.append(f"{config.label} ({summary})" if summary else config.label)
        self.stdout.write(f"demo data: {', '.join(seeded) if seeded else 'no app has demo data yet'}")
