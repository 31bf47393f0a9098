"""`notifications`: telling people what happened, on Telegram, e-mail, SMS and push. Two halves with one seam
(decision 0010): routing (what to say to whom) and delivery (the queue, worked off at most once, decision 0011).

Where things live (DESIGN §2): tables in ``models``; writes in ``services/`` (``preferences``, ``messages``,
``bulk``, ``templates``; the delivery half in ``services/delivery/``: ``queue``, ``loop``, ``send``); reads in
``selectors``; what other apps may call in ``public``; the events published in ``events``; the subscriptions that
route other apps' events to people in ``handlers``; the REST API in ``api/``; the admin in ``admin``; the Celery
tasks (``deliver``, ``bulk_send``) in ``tasks``. Besides the rooms: ``templates`` renders and checks message
templates (no writes), ``defaults`` holds the shipped texts and variables, ``channels/`` the senders, one per
channel, and ``ratelimit`` Telegram's limits and the delivery loops' slots, kept in Redis.

Exceptions: ``services.preferences`` also holds the reads of a person's settings (``preference_get``,
``channels_on``, ``quiet_until``, ``local_time``) that the writes around them use; the template admin saves its
model form itself, after the same ``templates.validate`` the services run.
"""
