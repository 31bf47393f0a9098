from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "ukbot.media"
    label = "media"
    verbose_name = _("Media")

    def ready(self) -> None:
        from ukbot.core import backup
        from ukbot.media import storage

        # manage.py backup/restore (docs/decisions/0029) copy every object of the storage, streamed.
        backup.register_files(
            "media",
            backup.FileSet(
                names=storage.iter_keys,
                open=storage.open_listed,
                exists=storage.exists,
                size=storage.size,
                put=storage.replace,
                where=storage.describe,
            ),
        )
