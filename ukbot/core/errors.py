"""The one application error type and the catalogue of error codes (DESIGN §8).

Services raise :class:`AppError` (or one of its subclasses) with a stable UPPER_SNAKE code; the DRF exception
handler in :mod:`ukbot.core.api.errors` turns it into the error envelope. Every code any part of the project
answers with is listed in :data:`ERROR_CODES`, with its HTTP status and meaning: clients may rely on them.
This module does not need DRF, so services, tasks and the bot can raise these errors too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # Problems with the input: ErrorDetail items, or messages by field path (None: the input as a whole).
    Details = Sequence["ErrorDetail"] | Mapping[str, StrOrPromise] | Mapping[str | None, StrOrPromise]


@dataclass(frozen=True)
class ErrorCode:
    status: int
    description: str


# The one place where codes are documented. A new code is added here, with a status and a sentence for clients.
ERROR_CODES: dict[str, ErrorCode] = {
    "VALIDATION_ERROR": ErrorCode(
        400, "The input failed validation; `details` names each field (`items[0].qty`, null for the whole input)."
    ),
    "PARSE_ERROR": ErrorCode(400, "The request body could not be parsed (for example malformed JSON)."),
    "BAD_REQUEST": ErrorCode(400, "The request is malformed in a way no other code describes."),
    "NOT_AUTHENTICATED": ErrorCode(401, "No credentials were sent; authenticate and retry."),
    "AUTHENTICATION_FAILED": ErrorCode(401, "The credentials sent are invalid or expired."),
    "PERMISSION_DENIED": ErrorCode(403, "The caller may not perform this action on this resource."),
    "NOT_FOUND": ErrorCode(404, "The resource does not exist or is not visible to the caller."),
    "METHOD_NOT_ALLOWED": ErrorCode(405, "The HTTP method is not supported here; see the Allow header."),
    "NOT_ACCEPTABLE": ErrorCode(406, "No representation matches the Accept header; the API speaks JSON."),
    "CONFLICT": ErrorCode(409, "The request conflicts with the current state of the resource."),
    "INVALID_TRANSITION": ErrorCode(
        409, "The resource's status does not allow this change (e.g. closing a new request)."
    ),
    "IDEMPOTENCY_IN_PROGRESS": ErrorCode(
        409, "A request with the same Idempotency-Key is still being processed; retry after it finishes."
    ),
    "REQUEST_ALREADY_ASSIGNED": ErrorCode(
        409, "The request already has an executor (another dispatcher or the executor was first); reload it."
    ),
    "REQUEST_CLOSED": ErrorCode(409, "The request is closed (accepted or cancelled); nobody can be assigned to it."),
    "REQUEST_NOT_ASSIGNABLE": ErrorCode(
        409, "The request is not new (for example it waits for the applicant's answer); it cannot be given out now."
    ),
    "EXECUTOR_AT_CAPACITY": ErrorCode(
        409, "The executor already holds as many open requests as the dispatch settings allow; choose another."
    ),
    "EXECUTOR_NOT_VERIFIED": ErrorCode(
        422, "The person named is not a verified executor (no executor role, or the profile is not approved)."
    ),
    "EXECUTOR_LACKS_SPECIALIZATION": ErrorCode(
        422, "The executor does not have the specialization the request's category needs (nor `universal`)."
    ),
    "PAYLOAD_TOO_LARGE": ErrorCode(413, "The request body exceeds the size limit."),
    "QUOTA_EXCEEDED": ErrorCode(
        413,
        "The upload would take the person's stored files over their storage quota (MEDIA_QUOTA_BYTES); delete "
        "files they no longer need, or ask the management company.",
    ),
    "UNSUPPORTED_MEDIA_TYPE": ErrorCode(415, "The Content-Type of the body is not accepted here."),
    "UNPROCESSABLE": ErrorCode(422, "The input is well-formed but cannot be acted on (a business rule refuses it)."),
    "IDEMPOTENCY_KEY_REUSED": ErrorCode(
        422, "The Idempotency-Key was already used with another body, method or path; use a new key."
    ),
    "RATE_LIMITED": ErrorCode(
        429,
        "Too many requests for a rate limit (per account or address; stricter for sign-in, uploads, exports, searches "
        "and bulk notifications); wait for the seconds given in Retry-After (and `details`).",
    ),
    "TOO_MANY_ATTEMPTS": ErrorCode(
        429, "Sign-in is locked after repeated failures; retry after the seconds in Retry-After (and `details`)."
    ),
    "TOKEN_EXPIRED": ErrorCode(401, "The refresh token has expired; sign in again."),
    "TOKEN_REUSED": ErrorCode(
        401, "The refresh token was already used; as a precaution its whole session is revoked. Sign in again."
    ),
    "SESSION_REVOKED": ErrorCode(
        401,
        "The session was ended (signed out, revoked, its role withdrawn, the password changed, the account blocked "
        "or two-step sign-in turned on); takes effect on the very next request. Sign in again.",
    ),
    "ACCOUNT_BLOCKED": ErrorCode(403, "The account is blocked or disabled; contact the management company."),
    "INVITATION_INVALID": ErrorCode(400, "The invitation code is mistyped, altered or unknown."),
    "INVITATION_USED": ErrorCode(409, "The invitation was already used (each works once) or was withdrawn."),
    "INVITATION_EXPIRED": ErrorCode(410, "The invitation has expired; ask the manager for a new one."),
    "TELEGRAM_AUTH_INVALID": ErrorCode(401, "The Telegram sign-in data is not signed by this bot."),
    "TELEGRAM_AUTH_EXPIRED": ErrorCode(
        401, "The Telegram sign-in data is older than TELEGRAM_AUTH_MAX_AGE_SECONDS; sign in with Telegram again."
    ),
    "MFA_INVALID_CODE": ErrorCode(
        400,
        "The one-time code (authenticator app or backup code) is wrong, expired or already used; ask the user for "
        "another. 400, not 401: the caller's token or challenge is still good. Counts toward TOO_MANY_ATTEMPTS.",
    ),
    "MFA_CHALLENGE_INVALID": ErrorCode(
        401,
        "The sign-in challenge is altered, older than 5 minutes, already completed, or sent from another address or "
        "device than the one that signed in; sign in with the password again.",
    ),
    "PASSWORD_INVALID": ErrorCode(
        400,
        "The current password given to confirm a change (new password, two-step sign-in on or off) is wrong. 400, "
        "not 401: the caller's token is still good. Counts toward TOO_MANY_ATTEMPTS.",
    ),
    "MEDIA_TYPE_NOT_ALLOWED": ErrorCode(
        415,
        "The file's bytes are not one of the accepted types (JPEG, PNG, WebP, HEIC, PDF, MP4); its name does not "
        "count.",
    ),
    "MEDIA_NOT_READY": ErrorCode(409, "The file is waiting for its virus scan (or the scan is being retried)."),
    "MEDIA_INFECTED": ErrorCode(423, "The file failed the virus scan and is quarantined; it cannot be downloaded."),
    "SIGNED_URL_INVALID": ErrorCode(403, "The download link is malformed or was altered."),
    "SIGNED_URL_EXPIRED": ErrorCode(410, "The download link has expired; ask for a new one."),
    "INTERNAL_ERROR": ErrorCode(500, "An unexpected error; it was logged under the trace_id given."),
    "SERVICE_UNAVAILABLE": ErrorCode(
        503,
        "A dependency (the database, Redis, a sign-in method not configured) is unavailable; retry later, after "
        "the seconds in Retry-After (and `details`) when given.",
    ),
}

_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


@dataclass(frozen=True)
class ErrorDetail:
    """One problem with the input: the field path (``items[0].qty``; None for the input as a whole) and a message."""

    field: str | None
    message: StrOrPromise  # translated lazily: rendered in the caller's language when it is shown


class AppError(Exception):
    """An error with a stable code that the API answers in the error envelope; raise it from services."""

    code: str = "BAD_REQUEST"
    default_message: StrOrPromise = _("The request cannot be processed.")

    def __init__(
        self,
        code: str | None = None,
        message: StrOrPromise | None = None,
        *,
        status: int | None = None,
        details: Details | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        code = code or type(self).code
        if not _CODE.match(code) or code not in ERROR_CODES:
            # Fail loudly in development and tests: every code a client can see is documented.
            raise ValueError(f"undocumented error code {code!r}: add it to ukbot.core.errors.ERROR_CODES")
        self.code = code
        self.message = message or type(self).default_message
        self.status = status or ERROR_CODES[code].status
        if isinstance(details, Mapping):
            details = [ErrorDetail(field=field, message=text) for field, text in details.items()]
        self.details: list[ErrorDetail] = list(details or [])
        self.headers: dict[str, str] = dict(headers or {})  # e.g. Retry-After, sent with the error response
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, status={self.status})"


class _FixedCodeError(AppError):
    """An AppError whose code comes from the class: ``NotFoundError("No such request.")``."""

    def __init__(
        self,
        message: StrOrPromise | None = None,
        *,
        details: Details | None = None,
    ) -> None:
        super().__init__(type(self).code, message, details=details)


class ValidationFailedError(_FixedCodeError):
    code = "VALIDATION_ERROR"
    default_message = _("Invalid input.")


class PermissionDeniedError(_FixedCodeError):
    code = "PERMISSION_DENIED"
    default_message = _("You do not have permission to perform this action.")


class NotFoundError(_FixedCodeError):
    code = "NOT_FOUND"
    default_message = _("Not found.")


class ConflictError(_FixedCodeError):
    code = "CONFLICT"
    default_message = _("The request conflicts with the current state of the resource.")


class InvalidTransitionError(_FixedCodeError):
    code = "INVALID_TRANSITION"
    default_message = _("This change is not allowed in the current status.")


class UnprocessableError(_FixedCodeError):
    code = "UNPROCESSABLE"
    default_message = _("The request cannot be processed.")


def error_codes_markdown() -> str:
    """Render the catalogue as a Markdown table (for the OpenAPI description)."""
    rows = [f"| `{code}` | {info.status} | {info.description} |" for code, info in ERROR_CODES.items()]
    return "\n".join(["| code | HTTP status | meaning |", "|---|---|---|", *rows])
