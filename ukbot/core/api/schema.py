"""OpenAPI generation (drf-spectacular) that knows our conventions: envelopes, serializers, error codes."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

from ukbot.core.errors import ERROR_CODES, error_codes_markdown

_WRITES = frozenset({"POST", "PUT", "PATCH"})


class ApiAutoSchema(AutoSchema):
    """Read ``InputSerializer``/``OutputSerializer`` of an API class; show success bodies inside ``{"data": …}``.

    ``InputSerializer``/``OutputSerializer`` nested in ``ThingCreateApi`` become components ``ThingCreateInput`` and
    ``ThingCreateOutput``.

    EnvelopeJSONRenderer wraps every success body, so the document must too; paginated lists already describe
    their envelope (PagePagination.get_paginated_response_schema) and are left alone.
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

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        paginated = self._is_list_view(serializer) and self._get_paginator() is not None
        if not str(status_code).startswith("2") or paginated:
            return response
        for media in response.get("content", {}).values():
            if "schema" in media:
                media["schema"] = {"type": "object", "required": ["data"], "properties": {"data": media["schema"]}}
        return response


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
