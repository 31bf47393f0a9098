"""Write use-cases of `notifications`: the routing half (decision 0010: tell a person, templates, preferences,
manual and bulk sends) and, in ``services.delivery``, the delivery half (the queue's door ``enqueue`` and the
claim-and-send loop of decision 0011).

One module per seam: ``preferences``, ``messages`` (telling a person, staff's messages), ``bulk``, ``templates``
(adding and changing them; rendering and checking are :mod:`ukbot.notifications.templates`) and the ``delivery``
package. The routing half's public names are re-exported here (``services.notify``); the delivery half is reached
as ``services.delivery`` (``delivery.enqueue``), so the seam stays visible at every call site.
"""

from ukbot.notifications.services import delivery
from ukbot.notifications.services.bulk import BULK_BATCH, bulk_job_create, bulk_job_run
from ukbot.notifications.services.messages import MANUAL, MAX_TEXT, Variables, notification_send, notify
from ukbot.notifications.services.preferences import (
    MESSAGE_GROUPS,
    PreferenceView,
    channels_on,
    hears,
    local_time,
    preference_get,
    preference_set,
    quiet_until,
)
from ukbot.notifications.services.retention import notifications_purge
from ukbot.notifications.services.templates import template_create, template_update

__all__ = [
    "BULK_BATCH",
    "MANUAL",
    "MAX_TEXT",
    "MESSAGE_GROUPS",
    "PreferenceView",
    "Variables",
    "bulk_job_create",
    "bulk_job_run",
    "channels_on",
    "delivery",
    "hears",
    "local_time",
    "notification_send",
    "notifications_purge",
    "notify",
    "preference_get",
    "preference_set",
    "quiet_until",
    "template_create",
    "template_update",
]
