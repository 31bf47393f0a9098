"""``manage.py restore --input PATH [--yes] [--no-media]``: check a backup's checksums, restore its database into
the configured one and its files into the configured storage, then compare row counts (docs/decisions/0029)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ukbot.core import backup


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into the configured database and storage, and verify row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", type=Path, required=True, help="the backup folder")
        parser.add_argument("--yes", action="store_true", help="replace a database that already holds data")
        parser.add_argument("--no-media", action="store_true", help="the database only, not the stored files")

    def handle(self, *args: Any, input: Path, yes: bool, no_media: bool, **options: Any) -> None:
        try:
            restored = backup.restore(input, replace=yes, media=not no_media)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] >= 2:
            for table, (expected, now) in sorted(restored.counts.items()):
                self.stdout.write(f"{table:<60} {expected:>10} {now:>10}")
        rows = sum(expected for expected, _now in restored.counts.values())
        self.stdout.write(
            f"restored {len(restored.counts)} tables ({rows} rows in the manifest) from {input}; "
            f"files: {restored.files_put} put back, {restored.files_kept} already there"
        )
        if restored.heads_unknown:
            self.stderr.write(
                "warning: the backup has migrations this code does not know (restore it with the version that made "
                "it): " + ", ".join(f"{app}.{name}" for app, name in sorted(restored.heads_unknown.items()))
            )
        if restored.heads_behind:
            self.stdout.write("the backup is older than this code: run `manage.py migrate` next")
        if restored.mismatched:
            raise CommandError(
                "row counts differ from the manifest: "
                + ", ".join(f"{table} {expected} != {now}" for table, (expected, now) in restored.mismatched.items())
            )
        self.stdout.write("row counts match the manifest")
