"""The dispatcher's list of requests: names for a whole page at once, the filters, and the CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.requests.models import Request
from ukbot.users import public as users_public

CSV_CHUNK = 500


class RequestChangeList(ChangeList):
    """Looks up the names of a page's applicants and executors in one query, not one per row."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows = list(self.result_list)
        ids = {row.applicant_id for row in rows} | {row.executor_id for row in rows if row.executor_id}
        names = users_public.person_names(account_ids=ids)
        for row in rows:
            row._person_names = names
        self.result_list = rows


class BuildingFilter(admin.SimpleListFilter):
    title = _("building")
    parameter_name = "building"

    def lookups(self, request, model_admin):
        ids = list(
            Request.objects.exclude(building_id=None).order_by().values_list("building_id", flat=True).distinct()
        )
        labels = users_public.building_labels(building_ids=ids)
        return sorted(((str(pk), labels.get(pk, f"#{pk}")) for pk in ids), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(building_id=int(self.value()))
        return queryset


class ExecutorFilter(admin.SimpleListFilter):
    title = _("executor")
    parameter_name = "executor"
    NOBODY = "none"

    def lookups(self, request, model_admin):
        ids = list(
            Request.objects.exclude(executor_id=None).order_by().values_list("executor_id", flat=True).distinct()
        )
        names = users_public.person_names(account_ids=ids)
        people = sorted(((str(pk), names[pk]) for pk in ids), key=lambda choice: choice[1])
        return [(self.NOBODY, _("nobody yet")), *people]

    def queryset(self, request, queryset):
        if self.value() == self.NOBODY:
            return queryset.filter(executor_id=None)
        if self.value() and self.value().isdigit():
            return queryset.filter(executor_id=int(self.value()))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_overdue=self.value() == "yes")
        return queryset


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or CR) gets a ``'``."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


CSV_COLUMNS = (
    _("number"),
    _("created at"),
    _("status"),
    _("category"),
    _("urgency"),
    _("source"),
    _("applicant id"),
    _("applicant"),
    _("executor id"),
    _("executor"),
    _("address"),
    _("entrance"),
    _("floor"),
    _("contact phone"),
    _("description"),
    _("reaction deadline"),
    _("resolution deadline"),
    _("overdue"),
)


def _csv_rows(queryset: QuerySet[Request]) -> Iterator[list[object]]:
    yield [str(title) for title in CSV_COLUMNS]
    rows = queryset.iterator(chunk_size=CSV_CHUNK)
    while chunk := list(islice(rows, CSV_CHUNK)):
        ids = {r.applicant_id for r in chunk} | {r.executor_id for r in chunk if r.executor_id}
        names = users_public.person_names(account_ids=ids)
        for r in chunk:
            yield [
                r.number,
                _local(r.created_at),
                str(r.get_status_display()),
                str(r.get_category_display()),
                str(r.get_urgency_display()),
                str(r.get_source_display()),
                r.applicant_id,
                names[r.applicant_id],
                r.executor_id or "",
                names[r.executor_id] if r.executor_id else "",
                r.address,
                r.entrance,
                "" if r.floor is None else r.floor,
                r.contact_phone,
                r.description,
                _local(r.reaction_deadline),
                _local(r.resolution_deadline),
                str(_("yes") if r.is_overdue else _("no")),
            ]


def csv_stream(queryset: QuerySet[Request]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte order mark, so that Excel reads the file as UTF-8 (Cyrillic addresses and names)
    for row in _csv_rows(queryset):
        yield writer.writerow([csv_safe(cell) for cell in row])
