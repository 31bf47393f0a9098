"""Admin for dispatchers: people with roles and specializations, block/unblock, the place tree, and the queues of
apartment links, invitations and executor verification.

Changes to people go through the services, so that the admin publishes the same events as the API and the bot
(`auth` re-issues tokens on ``user.role_changed``); the place tree has no events and uses plain model forms.

Each module registers its pages when imported: ``people``, ``places`` and ``queues``.
"""

from ukbot.users.admin import people, places, queues  # noqa: F401 - imported to register the pages
