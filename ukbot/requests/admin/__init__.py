"""Admin for dispatchers: the request list they live in, each request's page, the materials queue, and the SLA
and lifecycle settings.

Every change to a request goes through the services, so that the admin publishes the same events and writes the
same history as the API and the bot: details through ``request_update``, status through the state machine
(``request_move``), executors through ``request_move``/``request_reassign``, comments through ``comment_add`` and
material decisions through ``material_decide``. Names and addresses of people and buildings come from
``ukbot.users.public``; `requests` stores only their ids.
"""

from ukbot.requests.admin import materials, request, settings

__all__ = ["materials", "request", "settings"]
