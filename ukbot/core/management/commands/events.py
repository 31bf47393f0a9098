"""Operate the event bus: ``events status``, ``events relay``, ``events replay --all``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ukbot.core.events.relay import drain, replay, status_counts


class Command(BaseCommand):
    help = "Show the event bus's delivery counts, relay now, or replay dead letters."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="print pending, in-flight, retrying and dead counts")
        sub.add_parser("relay", help="deliver everything due now, in this process")
        rp = sub.add_parser("replay", help="put dead letters back in the queue")
        rp.add_argument("ids", nargs="*", type=int, help="delivery ids (see admin)")
        rp.add_argument("--all", action="store_true", help="every dead letter")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "status":
            counts = status_counts()
            for name in ("pending", "in_flight", "retrying", "dead", "done"):
                self.stdout.write(f"{name.replace('_', '-'):<10} {counts[name]}")
        elif action == "relay":
            self.stdout.write(f"delivered {drain()}")
        else:
            from ukbot.core.models import Delivery

            if options["all"]:
                ids = list(Delivery.objects.filter(status=Delivery.Status.DEAD).values_list("id", flat=True))
            elif options["ids"]:
                ids = options["ids"]
            else:
                raise CommandError("name delivery ids or pass --all")
            self.stdout.write(f"replayed {replay(delivery_ids=ids)}")
