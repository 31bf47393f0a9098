"""The delivery half of `notifications`: the queue's door (``enqueue``) and the claim-and-send loop.

docs/decisions/0010 draws the seam; docs/decisions/0011 explains how a row is sent at most once:

1. A worker claims due rows (``FOR UPDATE SKIP LOCKED``), marks them ``sending`` with a lease and its own token,
   and commits.
2. Before each call it writes the attempt as ``in_flight`` in the same commit that re-checks its token. Only
   then does it call the channel, and afterwards it records the outcome, again only while the token is its own.
3. A row whose lease ran out goes back to the queue when it has no attempt in flight (it was never sent); when
   it has one, the worker died during the call and nobody knows whether the message went out, so the row fails
   with ``outcome_unknown`` instead of being sent a second time.

Modules: ``queue`` (the door, the kick that wakes delivery, channel switches), ``loop`` (claiming due rows,
recovering expired leases) and ``send`` (one attempt: start it, call the channel, record the outcome).
"""

from ukbot.notifications.services.delivery.loop import (
    DEFAULT_BATCH,
    MAX_IDLE_WAIT_SECONDS,
    RECOVER_EVERY_SECONDS,
    deliver_due,
    recover_expired,
)
from ukbot.notifications.services.delivery.queue import (
    KICK_KEY,
    KICK_TTL_SECONDS,
    channel_disable,
    channel_enable,
    enqueue,
    kick_delivery,
)
from ukbot.notifications.services.delivery.send import MAX_GLOBAL_WAIT_SECONDS, backoff

__all__ = [
    "DEFAULT_BATCH",
    "KICK_KEY",
    "KICK_TTL_SECONDS",
    "MAX_GLOBAL_WAIT_SECONDS",
    "MAX_IDLE_WAIT_SECONDS",
    "RECOVER_EVERY_SECONDS",
    "backoff",
    "channel_disable",
    "channel_enable",
    "deliver_due",
    "enqueue",
    "kick_delivery",
    "recover_expired",
]
