"""The admin audit log (docs/decisions/0030-retention-and-audit.md): who changed what in the admin, with the old and
new value of each field, kept for good in :class:`~ukbot.core.models.AdminAuditEntry`.

An app's ``ModelAdmin`` takes :class:`AuditedAdmin` first among its bases. The record is read when the admin loads
it for a save (before the form touches it) and again from the database once the services have written, so the
entry holds what was really stored, whatever the services added (a deadline moved with the urgency, say). The entry
is written in the admin's transaction beside Django's LogEntry: a refused change leaves neither.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from ukbot.core.models import AdminAuditEntry

# Values never stored, whatever the model: such a field is recorded as changed, with HIDDEN on both sides.
SENSITIVE = re.compile(r"password|secret|token|(^|_)t?otp(_|$)|(^|_)hash$", re.IGNORECASE)
HIDDEN = "***"

_BEFORE = "_ukbot_audit_before"  # the HTTP request's attribute: {(model label, pk): values} read before the save


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()  # to the microsecond: Django's encoder cuts to milliseconds
        return super().default(o)


def _plain(value: Any) -> Any:
    """The value as JSON holds it: dates and times as ISO text, UUIDs and decimals as text."""
    return json.loads(json.dumps(value, cls=_Encoder))


class _Secret:
    """A sensitive value in a snapshot held in memory: tells a change by a digest, and is never stored."""

    __slots__ = ("_digest",)

    def __init__(self, value: Any) -> None:
        self._digest = hashlib.sha256(repr(value).encode()).digest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Secret) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)

    def __repr__(self) -> str:
        return HIDDEN


def audit_values(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Return the record's stored fields as plain values (foreign keys by id), without ``exclude`` and without the
    timestamps Django sets on every save. A sensitive field holds a marker that tells a change, never the value."""
    skip = set(exclude)
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in skip or getattr(field, "auto_now", False):
            continue
        value = field.value_from_object(obj)
        values[field.name] = _Secret(value) if SENSITIVE.search(field.name) else _plain(value)
    return values


def audit_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return ``{field: [old, new]}`` for every field whose value differs (null on the side that lacks it); a
    sensitive field that changed holds HIDDEN on both sides."""
    changes: dict[str, list[Any]] = {}
    for name in sorted({*before, *after}):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [HIDDEN, HIDDEN] if SENSITIVE.search(name) else [old, new]
    return changes


def admin_audit_record(
    *,
    actor_id: int | None,
    actor_name: str,
    action: str,
    obj: models.Model,
    object_id: str | None = None,
    changes: Mapping[str, list[Any]],
    message: str = "",
    log_entry_id: int | None = None,
) -> AdminAuditEntry:
    """Write one entry of the audit log; values of sensitive fields are replaced by HIDDEN whatever the caller
    passed."""
    safe = {
        name: [HIDDEN, HIDDEN] if SENSITIVE.search(name) else [_plain(old), _plain(new)]
        for name, (old, new) in changes.items()
    }
    return AdminAuditEntry.objects.create(
        actor_id=actor_id,
        actor_name=actor_name[:150],
        action=action,
        model=obj._meta.label_lower,
        object_id=str(object_id if object_id is not None else obj.pk)[:64],
        object_repr=str(obj)[:200],
        changes=safe,
        message=message,
        log_entry_id=log_entry_id,
    )


class AuditedAdmin:
    """A ``ModelAdmin`` mix-in recording every add, change and delete made on its pages in the audit log.

    ``audit_exclude`` names fields left out (counters that move on every write, say); :meth:`audit_snapshot` may
    add values of related rows (a person's roles).
    """

    audit_exclude: tuple[str, ...] = ()

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        """The values the audit log compares, read from ``obj`` as it is now."""
        return audit_values(obj, exclude=self.audit_exclude)

    def _audit_stored(self, obj: models.Model) -> dict[str, Any]:
        fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
        return self.audit_snapshot(fresh) if fresh is not None else {}

    def _audit_write(
        self, request: HttpRequest, obj: models.Model, action: str, changes: Mapping[str, list[Any]], entry: Any
    ) -> None:
        user = request.user
        admin_audit_record(
            actor_id=user.pk,
            actor_name=user.get_username(),
            action=action,
            obj=obj,
            changes=changes,
            message=getattr(entry, "change_message", "") or "",
            log_entry_id=getattr(entry, "pk", None),
        )

    def audit_change(self, request: HttpRequest, obj: models.Model, before: Mapping[str, Any]) -> None:
        """Record what an admin action did to ``obj`` through the services, from the values ``before`` it (taken with
        :meth:`audit_snapshot`): Django's LogEntry, as a page's save writes it, and the audit entry. Nothing when
        nothing changed."""
        changes = audit_diff(before, self._audit_stored(obj))
        if not changes:
            return
        labels = []
        for name in changes:
            try:
                labels.append(str(obj._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
            except (FieldDoesNotExist, AttributeError):
                labels.append(name)
        entry = super().log_change(request, obj, [{"changed": {"fields": labels}}])  # type: ignore[misc]
        self._audit_write(request, obj, AdminAuditEntry.Action.CHANGED, changes, entry)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None and request.method == "POST":
            before = getattr(request, _BEFORE, None)
            if before is None:
                before = {}
                setattr(request, _BEFORE, before)
            before[(obj._meta.label_lower, str(obj.pk))] = self.audit_snapshot(obj)
        return obj

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        self._audit_write(request, obj, AdminAuditEntry.Action.ADDED, audit_diff({}, self._audit_stored(obj)), entry)
        return entry

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        before = getattr(request, _BEFORE, {}).get((obj._meta.label_lower, str(obj.pk)), {})
        changes = audit_diff(before, self._audit_stored(obj))
        if changes:
            self._audit_write(request, obj, AdminAuditEntry.Action.CHANGED, changes, entry)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)  # type: ignore[misc]
        by_id = {str(entry.object_id): entry for entry in entries or ()}
        for obj in queryset:
            changes = audit_diff(self.audit_snapshot(obj), {})
            self._audit_write(request, obj, AdminAuditEntry.Action.DELETED, changes, by_id.get(str(obj.pk)))
        return entries
