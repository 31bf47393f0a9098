from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _request_readable(account_id: int, number: str, actor_kind: str) -> bool:
    """Files attached to a request are readable by whoever sees the whole request (not an executor reading the
    pool card of a request they have not claimed)."""
    from ukbot.requests import selectors

    return selectors.request_files_readable(account_id=account_id, actor_kind=actor_kind, number=number)


class RequestsConfig(AppConfig):
    name = "ukbot.requests"
    label = "requests"
    verbose_name = _("Requests")

    def ready(self) -> None:
        from ukbot.media import public as media_public

        media_public.register_owner("request", _request_readable)
