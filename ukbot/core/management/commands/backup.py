"""``manage.py backup [--output PATH] [--no-media]``: the database (pg_dump, custom format), every stored object and a
manifest in one folder (docs/decisions/0029)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ukbot.core import backup


class Command(BaseCommand):
    help = "Back up the database and the stored files into a new folder with a manifest of checksums and counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="the backup folder to create (must not exist); default var/backups/ukbot-<UTC time>",
        )
        parser.add_argument("--no-media", action="store_true", help="the database only, not the stored files")

    def handle(self, *args: Any, output: Path | None, no_media: bool, **options: Any) -> None:
        if output is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.VAR_DIR) / "backups" / f"ukbot-{stamp}"
        try:
            written = backup.backup(output, media=not no_media)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        counts = written.manifest["counts"]
        self.stdout.write(
            f"backup written to {written.path}: {counts['tables']} tables, {counts['rows']} rows, "
            f"dump {written.manifest['database']['size']} bytes, "
            + (f"{counts['files']} files ({counts['file_bytes']} bytes)" if not no_media else "no files (--no-media)")
        )
