"""The actions of the request list: assign an executor, change the status, export to CSV. Each move goes through
the services, request by request; a refusal is reported for its request and the others go on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ukbot.assignment import public as assignment_public
from ukbot.core.audit import AuditedAdmin
from ukbot.core.errors import AppError
from ukbot.requests import selectors, services
from ukbot.requests.admin.common import AssignForm, StatusForm, action_page, error_text
from ukbot.requests.admin.listing import csv_stream
from ukbot.requests.models import Request
from ukbot.requests.statuses import Actor, Status
from ukbot.users import public as users_public


@contextmanager
def _audited(model_admin: admin.ModelAdmin, request: HttpRequest, r: Request) -> Iterator[None]:
    """Run one request's move in a transaction of its own and record it in the admin audit log."""
    before = model_admin.audit_snapshot(r) if isinstance(model_admin, AuditedAdmin) else None
    with transaction.atomic():
        yield
        if isinstance(model_admin, AuditedAdmin) and before is not None:
            model_admin.audit_change(request, r, before)


def _report(model_admin: admin.ModelAdmin, request: HttpRequest, done: int, message: str) -> None:
    if done:
        model_admin.message_user(request, message % {"count": done}, messages.SUCCESS)


@admin.action(description=_("Assign an executor…"), permissions=["change"])
def assign_executor(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Request]
) -> TemplateResponse | None:
    """Give the selected requests (of one trade) to an executor chosen from the verified ones, least busy first."""
    chosen = list(queryset.order_by("day", "seq"))
    trades = {users_public.category_specialization(category=r.category) for r in chosen}
    if len(trades) != 1:
        model_admin.message_user(
            request,
            _("The selected requests need different trades (%(trades)s); assign them one trade at a time.")
            % {"trades": ", ".join(sorted(trades))},
            messages.ERROR,
        )
        return None
    trade = trades.pop()
    ranked = selectors.executors_by_load(specialization=trade)
    if not ranked:
        model_admin.message_user(
            request, _("No verified executor works as %(trade)s.") % {"trade": trade}, messages.ERROR
        )
        return None
    choices = [
        (
            c.account_id,
            _("%(name)s · %(trade)s, level %(level)d · open requests: %(load)d")
            % {"name": c.full_name, "trade": c.specialization, "level": c.level, "load": load},
        )
        for c, load in ranked
    ]
    form = AssignForm(request.POST if "apply" in request.POST else None, choices=choices)
    if not form.is_valid():
        return action_page(
            model_admin,
            request,
            title=_("Assign an executor"),
            intro=_("Choose who does the work; the list shows the verified executors of the trade, least busy first."),
            items=[
                {"pk": r.pk, "label": f"{r.number} · {r.get_category_display()} · {r.get_status_display()}"}
                for r in chosen
            ],
            form=form,
            action="assign_executor",
            submit=_("Assign"),
        )
    executor_id, reason = form.cleaned_data["executor"], form.cleaned_data["reason"]
    done = 0
    for r in chosen:
        try:
            with _audited(model_admin, request, r):
                if r.status == Status.NEW:  # given out by the one dispatch service: logged, capacity kept
                    assignment_public.assign_manual(
                        number=r.number, executor_id=executor_id, actor_id=request.user.pk, reason=reason
                    )
                else:
                    services.request_reassign(
                        number=r.number, executor_id=executor_id, actor_id=request.user.pk, reason=reason
                    )
        except AppError as exc:
            model_admin.message_user(request, f"{r.number}: {error_text(exc)}", messages.WARNING)
        else:
            done += 1
    _report(model_admin, request, done, ngettext("Assigned %(count)d request.", "Assigned %(count)d requests.", done))
    return None


@admin.action(description=_("Change the status…"), permissions=["change"])
def change_status(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Request]
) -> TemplateResponse | None:
    """Move the selected requests to a status the state machine lets a manager move all of them to."""
    chosen = list(queryset.order_by("day", "seq"))
    targets: set[str] | None = None
    for r in chosen:
        moves = set(selectors.request_moves_for(request=r, account_id=request.user.pk, actor_kind=Actor.MANAGER))
        targets = moves if targets is None else targets & moves
    targets = targets or set()
    if any(r.status == Status.NEW for r in chosen):
        targets.discard(Status.ASSIGNED)  # assigning names an executor: the "Assign an executor" action
    if not targets:
        model_admin.message_user(
            request,
            _("No status change is allowed for all the selected requests; select requests in one status."),
            messages.ERROR,
        )
        return None
    form = StatusForm(
        request.POST if "apply" in request.POST else None,
        targets=sorted(targets, key=list(Status.values).index),
        from_statuses={r.status for r in chosen},
    )
    if not form.is_valid():
        return action_page(
            model_admin,
            request,
            title=_("Change the status"),
            intro=_("The moves offered are those the state machine allows a manager from the selected statuses."),
            items=[{"pk": r.pk, "label": f"{r.number} · {r.get_status_display()}"} for r in chosen],
            form=form,
            action="change_status",
            submit=_("Change"),
        )
    to_status, reason = form.cleaned_data["to_status"], form.cleaned_data["reason"]
    done = 0
    for r in chosen:
        try:
            with _audited(model_admin, request, r):
                services.request_move(
                    number=r.number,
                    to_status=to_status,
                    actor_kind=Actor.MANAGER,
                    actor_id=request.user.pk,
                    reason=reason,
                    # only read for a move to assigned: returning from clarification to it keeps the executor
                    executor_id=r.executor_id,
                )
        except AppError as exc:
            model_admin.message_user(request, f"{r.number}: {error_text(exc)}", messages.WARNING)
        else:
            done += 1
    _report(
        model_admin,
        request,
        done,
        ngettext("Changed the status of %(count)d request.", "Changed the status of %(count)d requests.", done),
    )
    return None


@admin.action(description=_("Export to CSV"), permissions=["view"])
def export_csv(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Request]
) -> StreamingHttpResponse:
    """Stream the selected requests as CSV that spreadsheets open safely."""
    response = StreamingHttpResponse(csv_stream(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="requests-{stamp}.csv"'
    return response
