"""What every requests endpoint shares: how the caller acts, what they may see, and how a request is shown."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ukbot.core.api.permissions import has_scope
from ukbot.core.errors import NotFoundError, PermissionDeniedError
from ukbot.requests import selectors, sla
from ukbot.requests.statuses import Actor, allowed_moves

READ, WRITE, ADMIN = "read:requests", "write:requests", "admin:requests"


def actor_kind_of(request) -> str:
    """How the caller acts on requests: ``admin:requests`` makes a manager; the executor role an executor."""
    if has_scope(request, ADMIN):
        return Actor.MANAGER
    token = getattr(request, "auth", None)
    role = token.get("role") if token is not None and hasattr(token, "get") else None
    return Actor.EXECUTOR if role == "executor" else Actor.APPLICANT


def require(request, scope: str) -> None:
    if not has_scope(request, scope):
        raise PermissionDeniedError()


def require_manager(request) -> None:
    if actor_kind_of(request) != Actor.MANAGER:
        raise PermissionDeniedError(_("Only managers may do this."))


def visible(request, number: str):
    """The request if the caller may read it (an executor also the pool's while on shift), else NOT_FOUND."""
    kind = actor_kind_of(request)
    item = selectors.requests_visible_to(account_id=request.user.pk, actor_kind=kind).filter(pk=number).first()
    if item is None and kind == Actor.EXECUTOR:
        item = selectors.pool_for(executor_id=request.user.pk).filter(pk=number).first()
    if item is None:
        raise NotFoundError()
    return item


class RequestOutput(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField()
    urgency = serializers.CharField()
    source = serializers.CharField()
    applicant_id = serializers.IntegerField()
    executor_id = serializers.IntegerField(allow_null=True)
    yard_id = serializers.IntegerField(allow_null=True)
    building_id = serializers.IntegerField(allow_null=True)
    apartment_id = serializers.IntegerField(allow_null=True)
    entrance = serializers.CharField()
    floor = serializers.IntegerField(allow_null=True)
    address = serializers.CharField()
    description = serializers.CharField()
    contact_phone = serializers.CharField()
    visit_from = serializers.DateTimeField(allow_null=True)
    visit_to = serializers.DateTimeField(allow_null=True)
    reaction_deadline = serializers.DateTimeField(allow_null=True)
    resolution_deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    duplicate_of = serializers.CharField(source="duplicate_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    assigned_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    feedback = serializers.CharField()
    version = serializers.IntegerField()

    def get_overdue(self, item) -> bool:
        return sla.is_overdue(request=item, now=timezone.now())


class RequestDetailOutput(RequestOutput):
    allowed_moves = serializers.SerializerMethodField(help_text="Statuses the caller may move the request to.")

    def get_allowed_moves(self, item) -> list[str]:
        kind = self.context.get("actor_kind", Actor.APPLICANT)
        if kind == Actor.APPLICANT and self.context.get("account_id") != item.applicant_id:
            return []  # a co-resident reads, but does not act
        if kind == Actor.EXECUTOR and item.executor_id not in (None, self.context.get("account_id")):
            return []
        return allowed_moves(item.status, kind, before_clarification=item.status_before_clarification)


def detail(request, item) -> dict:
    context = {"actor_kind": actor_kind_of(request), "account_id": request.user.pk}
    return RequestDetailOutput(item, context=context).data
