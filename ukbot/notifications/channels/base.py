"""The channel interface and the result of one send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ukbot.auth.public import Contact
    from ukbot.notifications.models import Notification

OK = "ok"
RETRY = "retry"  # try again later: after ``retry_after`` when the provider said so, else with back-off
BLOCKED = "blocked"  # the person refuses this channel (a blocked bot): turn it off for them
FAILED = "failed"  # the provider refused this message for good


@dataclass(frozen=True)
class Result:
    """What one send came to; ``confirmed`` means the provider reported delivery, not just acceptance."""

    outcome: str
    retry_after: float | None = None
    message_id: str = ""
    status_code: int | None = None
    error: str = ""
    confirmed: bool = False

    @classmethod
    def ok(cls, *, message_id: str = "", status_code: int | None = None, confirmed: bool = False) -> Result:
        return cls(OK, message_id=message_id, status_code=status_code, confirmed=confirmed)

    @classmethod
    def retry(cls, *, error: str, retry_after: float | None = None, status_code: int | None = None) -> Result:
        return cls(RETRY, retry_after=retry_after, status_code=status_code, error=error)

    @classmethod
    def blocked(cls, *, error: str, status_code: int | None = None) -> Result:
        return cls(BLOCKED, status_code=status_code, error=error)

    @classmethod
    def failed(cls, *, error: str, status_code: int | None = None) -> Result:
        return cls(FAILED, status_code=status_code, error=error)


class Channel:
    """Subclasses name themselves, say where to send, and send."""

    name: ClassVar[str]

    def unavailable_reason(self) -> str:
        """Why nothing can be sent over this channel now (not configured), or "" when it is available."""
        return ""

    def address_of(self, contact: Contact) -> str:
        """The person's address on this channel, or "" when they have none."""
        raise NotImplementedError

    def send(self, notification: Notification, address: str) -> Result:
        """Hand the message to the provider once; never raise for the provider's answers or network errors."""
        raise NotImplementedError
