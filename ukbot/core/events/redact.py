"""Personal data in published events: read and blank payload fields of outbox rows about one person.

Payloads carry ids and facts, not names or phones (see each app's ``events.py``), but a few facts are personal all
the same: where an executor was (``executor.location_updated``), the reason an applicant gave for a move. The rows
stay until the retention sweep (EVENTS_RETENTION_DAYS); an app forgetting a person blanks those fields of its own
events here, matching rows by payload fields (``{"executor_id": 7}``), so the stream keeps its ids and times.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection


def payloads_of(*, types: Iterable[str], match: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the payloads (with ``type`` and ``time`` added) of held events of ``types`` whose data contain
    ``match``, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT type, time, data FROM "core"."outbox" WHERE type = ANY(%s) AND data @> %s::jsonb ORDER BY time, id',
            [list(types), json.dumps(match, cls=DjangoJSONEncoder)],
        )
        rows = cursor.fetchall()
    # Django turns off psycopg's jsonb loader (JSONField decodes itself), so raw rows bring the text.
    return [
        {**(json.loads(data) if isinstance(data, str) else data), "type": type_, "time": time.isoformat()}
        for type_, time, data in rows
    ]


def payloads_redact(*, types: Iterable[str], match: dict[str, Any], fields: dict[str, Any]) -> int:
    """Overwrite ``fields`` (name → new value) in the payloads of events of ``types`` whose data contain ``match``;
    return how many rows changed. Running it again changes nothing."""
    replacement = json.dumps(fields, cls=DjangoJSONEncoder)
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "core"."outbox" SET data = data || %s::jsonb '
            "WHERE type = ANY(%s) AND data @> %s::jsonb AND NOT data @> %s::jsonb",
            [replacement, list(types), json.dumps(match, cls=DjangoJSONEncoder), replacement],
        )
        return cursor.rowcount
