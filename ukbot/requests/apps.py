from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _request_readable(account_id: int, number: str, actor_kind: str) -> bool:
    """Files attached to a request are readable by whoever may read the request (an executor also the pool's)."""
    from ukbot.requests import selectors
    from ukbot.requests.statuses import Actor

    if selectors.requests_visible_to(account_id=account_id, actor_kind=actor_kind).filter(pk=number).exists():
        return True
    return actor_kind == Actor.EXECUTOR and selectors.pool_for(executor_id=account_id).filter(pk=number).exists()


class RequestsConfig(AppConfig):
    name = "ukbot.requests"
    label = "requests"
    verbose_name = _("Requests")

    def ready(self) -> None:
        from ukbot.media import public as media_public

        media_public.register_owner("request", _request_readable)
