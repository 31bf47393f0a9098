"""OpenAPI generation (drf-spectacular) that knows our conventions: envelopes, serializers, error codes.

What the document promises is what the server does (decision 0026): the error answers each operation can give,
``additionalProperties: false`` and ``minLength`` where input is refused, success bodies inside ``{"data": …}``,
and only what a client needs in descriptions: the first paragraph of a view's or serializer's own docstring.
"""

from __future__ import annotations

import inspect
from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

from ukbot.core.errors import ERROR_CODES, error_codes_markdown

_WRITES = frozenset({"POST", "PUT", "PATCH"})
ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}
}
# Each error status an operation may document, with the sentence its response carries.
ERROR_DESCRIPTIONS = {
    400: "The input is invalid (VALIDATION_ERROR names each field or parameter) or unreadable.",
    401: "No valid credentials: the access token is missing, invalid, expired or its session has ended.",
    403: "The caller may not do this (PERMISSION_DENIED) or the account is blocked.",
    404: "The resource does not exist or is not visible to the caller.",
    409: "The resource's current state does not allow this (for example INVALID_TRANSITION).",
    410: "What the request names has expired.",
    413: "The request body is too large.",
    415: "The Content-Type of the body is not accepted here.",
    422: "The input is well-formed but a business rule refuses it.",
    423: "The file is quarantined.",
    429: "Too many requests; wait for Retry-After seconds.",
    503: "A service the API needs is unavailable (SERVICE_UNAVAILABLE); retry after Retry-After seconds.",
}
# Markers in a view's own code of permission checks beyond being signed in.
_PERMISSION_MARKERS = ("has_scope", "HasScopes", "PermissionDenied", "required_scopes")


def _own_doc(obj: Any) -> str:
    """The first paragraph of the docstring ``obj`` declares itself (not one inherited from a base class): what
    the document shows a client; the rest of a docstring is for developers."""
    cls = obj if isinstance(obj, type) else None
    doc = cls.__dict__.get("__doc__") if cls is not None else getattr(obj, "__doc__", None)
    if not doc:
        return ""
    return " ".join(inspect.cleandoc(doc).split("\n\n", 1)[0].split())


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _checks_permissions(view: Any) -> bool:
    """Whether the view checks more than being signed in: a permission class other than IsAuthenticated, or a
    scope or permission check in the code of its classes or in a function of ours that this code calls."""
    if any(cls not in (AllowAny, IsAuthenticated) for cls in view.permission_classes):
        return True
    classes = [cls for cls in type(view).__mro__ if cls.__module__.startswith("ukbot.") and cls.__module__ != __name__]
    own = "\n".join(_source(cls) for cls in classes)
    if any(marker in own for marker in _PERMISSION_MARKERS):
        return True
    called: dict[str, Any] = {}
    for cls in classes:
        module = inspect.getmodule(cls)
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__.startswith("ukbot.") and f"{name}(" in own:
                called[name] = func
    return any(any(marker in _source(func) for marker in _PERMISSION_MARKERS) for func in called.values())


class ApiAutoSchema(AutoSchema):
    """Read ``InputSerializer``/``OutputSerializer`` of an API class; show success bodies inside ``{"data": …}``.

    ``InputSerializer``/``OutputSerializer`` nested in ``ThingCreateApi`` become components ``ThingCreateInput`` and
    ``ThingCreateOutput``.

    EnvelopeJSONRenderer wraps every success body, so the document must too; paginated lists already describe
    their envelope (PagePagination.get_paginated_response_schema) and are left alone.

    Every operation documents the error answers it can give (:meth:`error_statuses`), each with the envelope.
    A view adds what its services answer beyond the rules with ``error_statuses = (409, 422)`` (every method) or
    ``error_statuses = {"POST": (409,)}``.
    """

    def get_request_serializer(self):
        if self.method in _WRITES and hasattr(self.view, "InputSerializer"):
            return self.view.InputSerializer
        return super().get_request_serializer()

    def get_response_serializers(self):
        if hasattr(self.view, "OutputSerializer"):
            return self.view.OutputSerializer
        return super().get_response_serializers()

    def get_serializer_name(self, serializer, direction) -> str:
        # Every API class nests an InputSerializer and an OutputSerializer: name components after the class
        # (RequestCreateApi.InputSerializer → RequestCreateInput), or they would all collide as Input/Output.
        cls = serializer if isinstance(serializer, type) else type(serializer)
        owner, _, own = cls.__qualname__.rpartition(".")
        if owner and own in ("InputSerializer", "OutputSerializer"):
            return owner.rpartition(".")[2].removesuffix("Api") + own
        return super().get_serializer_name(serializer, direction)

    # Only a GET of a list is paginated, filtered and ordered: a POST to the same path (attach files, add
    # materials) takes none of those parameters and answers a plain list inside {"data": …}.
    def _get_paginator(self):
        return super()._get_paginator() if self.method == "GET" else None

    def get_filter_backends(self) -> list:
        return super().get_filter_backends() if self.method == "GET" else []

    # --- descriptions: what a client needs, not the implementation ---------------------------------------------

    def get_description(self) -> str:  # type: ignore[override]
        method = getattr(self.view, self.method.lower(), None)
        return _own_doc(method) or _own_doc(type(self.view))

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        description = _own_doc(cls)
        schema.pop("description", None)
        if description:
            schema["description"] = description
        # Input that refuses unknown fields says so (StrictSerializer).
        if direction == "request" and getattr(cls, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A string input that may not be blank says so; answers may well be blank.
        if (
            direction == "request"
            and isinstance(schema, dict)
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and not field.read_only
            and schema.get("type") == "string"
        ):
            schema.setdefault("minLength", 1)
        return schema

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        # An example a view gives without saying which way it goes is the request body a client sends; it is not
        # also shown as the answer (drf-spectacular's default), which would be an answer the server never gives.
        if direction == "response":
            given = self.get_examples
            self.get_examples = lambda: [example for example in given() if example.response_only]  # type: ignore[method-assign]
            try:
                return super()._get_examples(serializer, direction, media_type, status_code, extras)
            finally:
                del self.get_examples
        return super()._get_examples(serializer, direction, media_type, status_code, extras)

    # --- success bodies in the envelope ---------------------------------------------------------------------------

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        paginated = self._is_list_view(serializer) and self._get_paginator() is not None
        if not str(status_code).startswith("2") or paginated:
            return response
        for media in response.get("content", {}).values():
            if "schema" in media:
                media["schema"] = {"type": "object", "required": ["data"], "properties": {"data": media["schema"]}}
        return response

    # --- error answers --------------------------------------------------------------------------------------------

    def error_statuses(self, operation: dict) -> set[int]:
        """The error statuses the operation can answer with (decision 0026):

        400 when it takes input (a body or query parameters); 401 when it reads credentials; 403 when it checks
        more than being signed in; 404 when its path names a resource; 409 for a move of a resource's state (a
        write to ``…/{id}/<action>``); 413 and 415 when it takes a body; 429 and 503 always; and whatever the view
        adds in ``error_statuses``.
        """
        view = self.view
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        statuses = {429, 503}
        if has_body or any(p["in"] == "query" for p in parameters):
            statuses.add(400)
        if has_body:
            statuses |= {413, 415}
        if view.authentication_classes:
            statuses.add(401)
        if _checks_permissions(view):
            statuses.add(403)
        if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
            statuses.add(404)  # a resource named in the path, or a page past the end of a list
        segments = self.path.rstrip("/").split("/")
        if self.method in (*_WRITES, "DELETE") and "{" in segments[-2] and "{" not in segments[-1]:
            statuses.add(409)
        extra = getattr(view, "error_statuses", ())
        statuses.update(extra.get(self.method, ()) if isinstance(extra, dict) else extra)
        return statuses

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in sorted(self.error_statuses(operation)):
            response: dict[str, Any] = {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": ENVELOPE_REF}},
            }
            if status in (429, 503):
                response["headers"] = dict(RETRY_AFTER)
            responses.setdefault(str(status), response)
        return operation


def add_error_catalogue(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: describe the error envelope and list every error code in ``info.description``."""
    info = result.setdefault("info", {})
    info["description"] = (
        f"{info.get('description', '')}\n\n"
        'Every error answers `{"error": {"code", "message", "details": [{"field", "message"}], '
        '"trace_id"}}` (schema `ErrorEnvelope`) with one of these codes:\n\n'
        f"{error_codes_markdown()}\n"
    ).lstrip()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorEnvelope"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details", "trace_id"],
                "properties": {
                    "code": {"type": "string", "enum": list(ERROR_CODES)},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "message"],
                            "properties": {
                                "field": {"type": "string", "nullable": True},
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "trace_id": {"type": "string", "nullable": True},
                },
            }
        },
    }
    return result
