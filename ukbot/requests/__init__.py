"""`requests`: the service desk's requests (заявки), from filing to acceptance, with their history, comments,
files and materials, and the service levels they are held to.

Where things live (DESIGN §2): tables in ``models``; writes in ``services/`` (one module per stage of a request's
life, every public name re-exported from ``services``); reads in ``selectors/`` (who may see what in
``selectors.access``, the list in one statement in ``selectors.page``, what the bot shows in ``selectors.views``);
what other apps may call in ``public``; the events published in ``events``; the subscriptions to other apps'
events in ``handlers``; the REST API in ``api/``; the dispatchers' admin in ``admin/``; Celery tasks in ``tasks``.
Besides the rooms: ``statuses`` is the state machine (statuses, categories, urgencies and who may make which
move), ``access`` the access rules every adapter applies through the selectors and services, ``sla`` the
deadlines and what counts as overdue, and ``apps`` tells `media` who may read a request's files.

Exception: ``sla.settings_get`` restores the single settings row if an admin deleted it (a read that may write
one row of defaults).
"""
