"""`users`: people and places. Profiles, roles and specializations; yards, buildings, entrances and apartments;
residents' links to apartments; staff invitations, executor verification and personal data.

Where things live (DESIGN §2): tables in ``models``; writes in ``services/`` (one module per seam, every public
name re-exported from ``services``); reads in ``selectors``; what other apps may call in ``public``; the events
published in ``events``; the REST API in ``api/``; the dispatchers' admin in ``admin/`` (people, places, queues).
Besides the rooms: ``roles`` and ``specializations`` are the vocabularies (with each role's API scopes), ``demo``
the demo data ``make run`` loads through the services, and ``apps`` tells `media` who may read the documents
attached to applications and apartment links.

Exceptions: ``services.privacy`` also holds two reads, ``personal_data`` and ``person_export``, next to
``person_forget`` so that what is exported and what is forgotten stay the same data; ``public.apartment_ids_of``
reads through a hand-written statement (decision 0015).
"""
