"""What every requests endpoint shares: how the caller acts, what they may see, and how a request is shown."""

from __future__ import annotations

from django.db.models.manager import BaseManager
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ukbot.core.api.fast import datetimes_in
from ukbot.core.api.permissions import has_scope
from ukbot.core.errors import NotFoundError, PermissionDeniedError
from ukbot.requests import access, selectors, sla
from ukbot.requests.statuses import Actor

READ, WRITE, ADMIN = "read:requests", "write:requests", access.MANAGE_REQUESTS


def role_of(request) -> str | None:
    """The caller's active role, as their token says."""
    token = getattr(request, "auth", None)
    return token.get("role") if token is not None and hasattr(token, "get") else None


def actor_kind_of(request) -> str:
    """How the caller acts on requests (:func:`access.actor_kind_for` of the token's role and scopes)."""
    # only the manager's scope decides; has_scope also grants it to a superuser signed into the admin
    return access.actor_kind_for(role=role_of(request), scopes=(ADMIN,) if has_scope(request, ADMIN) else ())


def require(request, scope: str) -> None:
    if not has_scope(request, scope):
        raise PermissionDeniedError()


def require_manager(request) -> None:
    if actor_kind_of(request) != Actor.MANAGER:
        raise PermissionDeniedError(_("Only managers may do this."))


def visible(request, number: str):
    """The request if the caller may read it (:func:`selectors.request_for`), else NOT_FOUND."""
    item = selectors.request_for(account_id=request.user.pk, actor_kind=actor_kind_of(request), number=number)
    if item is None:
        raise NotFoundError()
    return item


def shown(selector, request, number: str):
    """What ``selector`` (``comments_shown_to`` and the like) gives the caller of request ``number``, else
    NOT_FOUND when they may not see it."""
    rows = selector(account_id=request.user.pk, actor_kind=actor_kind_of(request), number=number)
    if rows is None:
        raise NotFoundError()
    return rows


class RequestListOutput(serializers.ListSerializer):
    """A page of requests: the zone and the time that overdue is judged by are read once for the page."""

    def to_representation(self, data) -> list[dict]:
        items = data.all() if isinstance(data, BaseManager) else data
        when, now = datetimes_in(timezone.get_current_timezone()), timezone.now()
        return [self.child.row(item, when=when, now=now) for item in items]


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

    class Meta:
        list_serializer_class = RequestListOutput

    def to_representation(self, item) -> dict:
        """The declared fields, built directly: the generic path costs ~50 µs a row, which lists of 20 feel.

        ``test_fast_representation_matches_the_declared_fields`` keeps it equal to the generic path."""
        return self.row(item, when=datetimes_in(timezone.get_current_timezone()), now=timezone.now())

    def row(self, item, *, when, now) -> dict:
        """The representation of ``item`` with times formatted by ``when`` and overdue as of ``now``."""
        return {
            "number": item.number,
            "status": item.status,
            "category": item.category,
            "urgency": item.urgency,
            "source": item.source,
            "applicant_id": item.applicant_id,
            "executor_id": item.executor_id,
            "yard_id": item.yard_id,
            "building_id": item.building_id,
            "apartment_id": item.apartment_id,
            "entrance": item.entrance,
            "floor": item.floor,
            "address": item.address,
            "description": item.description,
            "contact_phone": item.contact_phone,
            "visit_from": when(item.visit_from),
            "visit_to": when(item.visit_to),
            "reaction_deadline": when(item.reaction_deadline),
            "resolution_deadline": when(item.resolution_deadline),
            "overdue": sla.is_overdue(request=item, now=now),
            "duplicate_of": item.duplicate_of_id,
            "created_at": when(item.created_at),
            "assigned_at": when(item.assigned_at),
            "started_at": when(item.started_at),
            "completed_at": when(item.completed_at),
            "confirmed_at": when(item.confirmed_at),
            "closed_at": when(item.closed_at),
            "rating": item.rating,
            "feedback": item.feedback,
            "version": item.version,
        }


class RequestDetailOutput(RequestOutput):
    allowed_moves = serializers.SerializerMethodField(help_text="Statuses the caller may move the request to.")

    class Meta:
        list_serializer_class = serializers.ListSerializer  # each row needs its own allowed moves

    def to_representation(self, item) -> dict:
        return {**super().to_representation(item), "allowed_moves": self.get_allowed_moves(item)}

    def get_allowed_moves(self, item) -> list[str]:
        return selectors.request_moves_for(
            request=item,
            account_id=self.context.get("account_id"),
            actor_kind=self.context.get("actor_kind", Actor.APPLICANT),
        )


def detail(request, item) -> dict:
    context = {"actor_kind": actor_kind_of(request), "account_id": request.user.pk}
    return RequestDetailOutput(item, context=context).data
