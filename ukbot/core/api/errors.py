"""The error envelope of DESIGN §8 for every error an API client can meet.

``exception_handler`` (DRF's ``EXCEPTION_HANDLER``) answers AppError, every DRF exception and the Django ones that
reach a view; PostgreSQL or Redis out of reach becomes SERVICE_UNAVAILABLE with Retry-After (outside DRF views
too, through ``server_error``); anything else becomes INTERNAL_ERROR, logged with its traceback. The
``page_not_found`` / ``server_error`` / ``bad_request`` / ``permission_denied`` views are Django's ``handler404``
etc.: JSON for paths under ``/api/``, Django's HTML pages elsewhere (admin).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Iterator
from typing import Any

import redis.exceptions
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from ukbot.core.errors import ERROR_CODES, AppError, ErrorDetail
from ukbot.core.tracing import current_trace_id

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# DRF exception classes and the code each stands for; the first match in this order wins.
_DRF_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "VALIDATION_ERROR"),
    (exceptions.ParseError, "PARSE_ERROR"),
    (exceptions.AuthenticationFailed, "AUTHENTICATION_FAILED"),
    (exceptions.NotAuthenticated, "NOT_AUTHENTICATED"),
    (exceptions.PermissionDenied, "PERMISSION_DENIED"),
    (exceptions.NotFound, "NOT_FOUND"),
    (exceptions.MethodNotAllowed, "METHOD_NOT_ALLOWED"),
    (exceptions.NotAcceptable, "NOT_ACCEPTABLE"),
    (exceptions.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
    (exceptions.Throttled, "RATE_LIMITED"),
)
# Any other APIException (ours or a library's) is named by its status.
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "AUTHENTICATION_FAILED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}
# A dependency out of reach: the database (connection refused or lost) or Redis (cache, throttles, lockouts).
OUTAGES: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# Seconds a client is asked to wait after an outage: long enough for a restart or a failover to finish.
OUTAGE_RETRY_AFTER_SECONDS = 30
# Without a WWW-Authenticate challenge DRF would turn 401 into 403; the API's scheme is the JWT bearer token.
DEFAULT_AUTH_CHALLENGE = 'Bearer realm="api"'


def error_body(code: str, message: str, details: list[ErrorDetail] | None = None) -> dict[str, Any]:
    """The error envelope: ``{"error": {"code", "message", "details": [{"field", "message"}], "trace_id"}}``."""
    return {
        "error": {
            "code": code,
            "message": str(message),
            "details": [{"field": d.field, "message": str(d.message)} for d in details or []],
            "trace_id": current_trace_id(),
        }
    }


def error_response(
    code: str, message: str, details: list[ErrorDetail] | None = None, *, status: int | None = None
) -> JsonResponse:
    """A plain Django JsonResponse in the envelope, for code that runs outside DRF views (middleware, handlers)."""
    return JsonResponse(error_body(code, message, details), status=status or ERROR_CODES[code].status)


def flatten_errors(detail: Any, path: str = "") -> Iterator[ErrorDetail]:
    """Turn DRF's nested error structure into one (field path, message) per message, in declaration order.

    ``{"items": [{}, {"qty": ["…"]}]}`` gives ``items[1].qty``; ``non_field_errors`` (and Django's ``__all__``)
    belong to the object that holds them, which is ``None`` at the top.
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__"):
                child = path
            elif isinstance(key, int):  # ListField and DictField report children by index
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            yield from flatten_errors(value, child)
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                yield from flatten_errors(item, f"{path}[{index}]")  # a many=True child; {} when it was valid
            else:
                yield ErrorDetail(field=path or None, message=str(item))
    else:
        yield ErrorDetail(field=path or None, message=str(detail))


def _message(detail: Any, default: str) -> str:
    if isinstance(detail, dict):  # e.g. simplejwt's {"detail": …, "code": …, "messages": […]}
        return str(detail.get("detail", default))
    if isinstance(detail, list):
        return str(detail[0]) if detail else default
    return str(detail)


def _drf_code(exc: exceptions.APIException) -> str:
    for cls, code in _DRF_CODES:
        if isinstance(exc, cls):
            return code
    return _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "BAD_REQUEST")


def _describe(exc: Exception) -> tuple[str, int, str, list[ErrorDetail], dict[str, str]]:
    """(code, status, message, details, headers) for an exception; raises nothing."""
    if isinstance(exc, AppError):
        headers = dict(exc.headers)
        if exc.status == 401:
            headers.setdefault("WWW-Authenticate", DEFAULT_AUTH_CHALLENGE)
        return exc.code, exc.status, str(exc.message), exc.details, headers
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # Their messages name models and lookups; the client learns nothing from them.
        return "NOT_FOUND", 404, _("Not found."), [], {}
    if isinstance(exc, DjangoPermissionDenied):
        return "PERMISSION_DENIED", 403, _("You do not have permission to perform this action."), [], {}
    if isinstance(exc, DjangoValidationError):
        return "VALIDATION_ERROR", 400, _("Invalid input."), list(flatten_errors(as_serializer_error(exc))), {}
    if isinstance(exc, RequestDataTooBig):
        return "PAYLOAD_TOO_LARGE", 413, _("The request body is too large."), [], {}
    if isinstance(exc, SuspiciousOperation):
        # Django answers these with 400 and reports them to its security logger; so do we.
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return "BAD_REQUEST", 400, _("Bad request."), [], {}
    if isinstance(exc, exceptions.APIException):
        code = _drf_code(exc)
        status = exc.status_code
        headers = {}
        details: list[ErrorDetail] = []
        if code == "VALIDATION_ERROR":
            return code, status, _("Invalid input."), list(flatten_errors(exc.detail)), headers
        if code in ("NOT_AUTHENTICATED", "AUTHENTICATION_FAILED"):
            status = 401
            headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or DEFAULT_AUTH_CHALLENGE
        message = _message(exc.detail, str(exc.default_detail))
        wait = getattr(exc, "wait", None)  # Throttled's seconds to wait
        if wait is not None:
            seconds = max(1, math.ceil(wait))  # Retry-After is whole seconds; 0 would invite an instant retry
            retry_after = str(seconds)
            headers["Retry-After"] = retry_after
            details.append(ErrorDetail(field="retry_after", message=retry_after))
            if code == "RATE_LIMITED":
                message = _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": seconds}
        return code, status, message, details, headers
    if isinstance(exc, OUTAGES):
        retry_after = str(OUTAGE_RETRY_AFTER_SECONDS)
        details = [ErrorDetail(field="retry_after", message=retry_after)]
        return (
            "SERVICE_UNAVAILABLE",
            503,
            _("A service is unavailable; retry later."),
            details,
            {"Retry-After": retry_after},
        )
    return "INTERNAL_ERROR", 500, _("Internal server error."), [], {}


def log_error(exc: Exception, code: str, status: int, where: str) -> None:
    """Log an answer of 5xx: an outage or a deliberate AppError (e.g. a feature not configured) as a warning
    without a traceback, as they are expected; anything else as an error with its traceback."""
    if isinstance(exc, (AppError, *OUTAGES)):
        logger.warning("%s answered %s %s: %s", where, status, code, exc, extra={"error_code": code})
    else:
        logger.error("Unhandled error in %s", where, exc_info=exc, extra={"error_code": code})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: answer every exception raised in an API view with the error envelope."""
    code, status, message, details, headers = _describe(exc)
    if status >= 500:
        view = context.get("view")
        request = context.get("request")
        where = (
            f"{getattr(request, 'method', '?')} {getattr(request, 'path', '?')} "
            f"({type(view).__name__ if view is not None else '?'})"
        )
        log_error(exc, code, status, where)
    set_rollback()
    return Response(error_body(code, message, details), status=status, headers=headers)


# --- Django's handler400/403/404/500: JSON under /api/, HTML elsewhere --------------------------------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return error_response("PAYLOAD_TOO_LARGE", _("The request body is too large."))
        return error_response("BAD_REQUEST", _("Bad request."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response("PERMISSION_DENIED", _("You do not have permission to perform this action."))
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response("NOT_FOUND", _("Not found."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        # Django calls this while handling the exception (raised outside a DRF view, e.g. in a middleware).
        exc = sys.exc_info()[1]
        if isinstance(exc, OUTAGES):
            code, status, message, details, headers = _describe(exc)
            response = error_response(code, message, details, status=status)
            for name, value in headers.items():
                response[name] = value
            return response
        return error_response("INTERNAL_ERROR", _("Internal server error."))
    return defaults.server_error(request)
