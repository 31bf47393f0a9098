"""``Idempotency-Key`` for API writes (DESIGN §8; decision record docs/decisions/0003-idempotency.md).

A POST/PUT/PATCH/DELETE carrying the header is run at most once per (user, key) while the key lives
(``settings.IDEMPOTENCY_TTL``):

- the key is reserved by inserting its row, in a transaction of its own, after authentication and before the
  view runs; the unique constraint on (user, key) lets exactly one request win;
- when the view has answered below 500 its status, body and content type are stored on the row, and the same
  key with the same method, path and body replays them with ``Idempotent-Replayed: true``;
- the same key with another method, path or body is refused with 422 IDEMPOTENCY_KEY_REUSED; while the first
  request still runs, a repeat is refused with 409 IDEMPOTENCY_IN_PROGRESS;
- a 5xx answer (or an exception) deletes the row, so the client can retry with the same key;
- paths under ``settings.IDEMPOTENCY_EXEMPT_PATHS`` (sign-in and tokens, ``/api/v1/auth/``) ignore the header: their
  answers hold live tokens, which must never be stored, and a spent refresh token must not be replayable.

Reservation commits on its own only when no transaction is open around the view: keep ``ATOMIC_REQUESTS`` off.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ukbot.core.db.purge import delete_in_batches
from ukbot.core.errors import AppError, ErrorDetail, ValidationFailedError
from ukbot.core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length
# A reservation this old without a stored response belongs to a request that died (worker killed); the next
# request with the key takes it over instead of being told "in progress" until the key expires.
ABANDONED_AFTER = timedelta(minutes=10)
ANONYMOUS = "anonymous"


class IdempotencyInProgressError(AppError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    default_message = gettext_lazy("A request with this Idempotency-Key is still being processed.")


class IdempotencyKeyReusedError(AppError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = gettext_lazy("This Idempotency-Key was used for a different request.")


class Replay(Exception):
    """Not an error: carries a stored response out of ``initial()`` to be returned instead of running the view."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True)
class Reservation:
    id: int


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    """SHA-256 of what must match for a replay: method, full path with query, and the raw body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def key_from_header(value: str | None) -> str | None:
    """The key a request carries, or None; raises ValidationFailedError for an empty or too long key."""
    if value is None:
        return None
    key = value.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        message = _("Ensure this value has 1 to %(max)d characters.") % {"max": MAX_KEY_LENGTH}
        raise ValidationFailedError(details=[ErrorDetail(field=HEADER, message=message)])
    return key


def idempotency_reserve(*, user_key: str, key: str, method: str, path: str, body_hash: str) -> Reservation:
    """Reserve the key for this request, committing at once.

    :raises Replay: the key already has a stored response for the same request.
    :raises IdempotencyKeyReusedError: the key was used for another method, path or body.
    :raises IdempotencyInProgressError: the first request with the key has not answered yet.
    """
    now = timezone.now()
    # A competitor may insert or delete the row between our statements; a few rounds settle it.
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user_key=user_key,
                    key=key,
                    method=method,
                    path=path[: IdempotencyKey._meta.get_field("path").max_length],
                    body_hash=body_hash,
                    expires_at=now + settings.IDEMPOTENCY_TTL,
                )
            return Reservation(id=row.id)
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(user_key=user_key, key=key).first()
        if existing is None:
            continue  # released or expired and deleted meanwhile: try to insert again
        if existing.expires_at <= now or (
            existing.status_code is None and existing.created_at <= now - ABANDONED_AFTER
        ):
            # Expired (the hourly sweep has not run yet) or abandoned: take it over, unless someone else just did.
            IdempotencyKey.objects.filter(pk=existing.pk).delete()
            continue
        if existing.body_hash != body_hash:
            raise IdempotencyKeyReusedError()
        if existing.status_code is None:
            raise IdempotencyInProgressError()
        response = HttpResponse(
            bytes(existing.response_body or b""),
            status=existing.status_code,
            content_type=existing.response_content_type or None,
        )
        response[REPLAYED_HEADER] = "true"
        raise Replay(response)
    raise IdempotencyInProgressError()


def idempotency_finish(*, reservation: Reservation, response: HttpResponse) -> None:
    """Store a response below 500 on the reserved row; release the key for a 5xx or a streamed response."""
    if response.status_code >= 500 or response.streaming:
        idempotency_release(reservation=reservation)
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    IdempotencyKey.objects.filter(pk=reservation.id).update(
        status_code=response.status_code,
        response_body=response.content,
        response_content_type=response.get("Content-Type", ""),
    )


def idempotency_release(*, reservation: Reservation) -> None:
    """Forget the reservation so the same key can be sent again."""
    IdempotencyKey.objects.filter(pk=reservation.id).delete()


def expire_keys(*, batch: int = 1000) -> int:
    """Delete keys whose time to live has passed, ``batch`` at a time; return how many. Live keys stay."""
    return delete_in_batches(IdempotencyKey.objects.filter(expires_at__lte=timezone.now()), batch=batch)


def keys_forget(*, user_key: str) -> int:
    """Delete the keys (and the stored responses, which may quote what the person sent) of one user, for a
    forgotten person; return how many."""
    deleted, _per_model = IdempotencyKey.objects.filter(user_key=user_key).delete()
    return deleted


def _user_key(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.pk)
    return ANONYMOUS


class IdempotencyMixin:
    """Give a DRF view Idempotency-Key handling for its write methods; part of every base class in core.api.views.

    The key is reserved after authentication, permissions and throttling (so a replay goes only to the same
    user) and before the handler; the response is stored after DRF has finalised it.
    """

    _idempotency: Reservation | None = None

    def _idempotency_applies(self, request) -> bool:
        return (
            request.method in METHODS
            and HEADER in request.headers
            and hasattr(self, request.method.lower())
            and not request.path.startswith(tuple(settings.IDEMPOTENCY_EXEMPT_PATHS))
        )

    def initial(self, request, *args, **kwargs):
        if self._idempotency_applies(request):
            # Read the raw body before authentication can consume the stream (session auth's CSRF check parses
            # form bodies); DRF parses from the cached copy afterwards.
            request._request.body  # noqa: B018 - the attribute access caches the body
        super().initial(request, *args, **kwargs)
        if self._idempotency_applies(request):
            key = key_from_header(request.headers.get(HEADER))
            self._idempotency = idempotency_reserve(
                user_key=_user_key(request),
                key=key,
                method=request.method,
                path=request.get_full_path(),
                body_hash=fingerprint(method=request.method, path=request.get_full_path(), body=request._request.body),
            )

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)

    def dispatch(self, request, *args, **kwargs):
        self._idempotency = None
        try:
            response = super().dispatch(request, *args, **kwargs)
        except BaseException:
            if self._idempotency is not None:
                idempotency_release(reservation=self._idempotency)
            raise
        if self._idempotency is not None:
            try:
                idempotency_finish(reservation=self._idempotency, response=response)
            except Exception:
                logger.exception("idempotency: could not store the response; releasing the key")
                idempotency_release(reservation=self._idempotency)
        return response
