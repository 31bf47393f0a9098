from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _verification_readable(account_id: int, application_id: str, actor_kind: str) -> bool:
    """Verification documents: the applicant and the managers who review applications."""
    from ukbot.users.models import VerificationApplication

    if actor_kind == "manager":
        return True
    return VerificationApplication.objects.filter(pk=application_id, account_id=account_id).exists()


def _apartment_link_readable(account_id: int, link_id: str, actor_kind: str) -> bool:
    """An apartment link's identity document: the resident who asked and the managers who moderate links."""
    from ukbot.users.models import ApartmentLink

    if actor_kind == "manager":
        return True
    return ApartmentLink.objects.filter(pk=link_id, profile_id=account_id).exists()


class UsersConfig(AppConfig):
    name = "ukbot.users"
    label = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from ukbot.media import public as media_public

        media_public.register_owner("verification", _verification_readable)
        media_public.register_owner("apartment_link", _apartment_link_readable)
