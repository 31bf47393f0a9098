"""`auth`'s subscriptions to other apps' events."""

from __future__ import annotations

from django.utils import timezone

from ukbot.auth.models import Account, LoginAttempt, Session
from ukbot.core.events import Event, subscribe
from ukbot.users.events import USER_FORGOTTEN


@subscribe(USER_FORGOTTEN)
def forget_account(event: Event) -> None:
    """Anonymise the account of a forgotten person and end their sessions; safe to run twice."""
    account_id = int(event.data["account_id"])
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return
    old_username = account.username
    account.username = f"forgotten-{account_id}"
    account.first_name = account.last_name = account.email = account.phone = ""
    account.telegram_id = None
    account.is_active = False
    account.set_unusable_password()
    account.save()
    Session.objects.filter(account_id=account_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason="forgotten"
    )
    Session.objects.filter(account_id=account_id).update(device="", ip=None)
    LoginAttempt.objects.filter(account_id=account_id).update(username="", ip=None)
    # failed attempts name the person only by the username they typed
    LoginAttempt.objects.filter(account_id__isnull=True, username__iexact=old_username).update(username="", ip=None)
