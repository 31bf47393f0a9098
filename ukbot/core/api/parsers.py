"""The API's body parsers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested deeper than Python's recursion limit with PARSE_ERROR.

    ``json`` decodes arrays and objects recursively, so ``[[[…]]]`` a hundred thousand deep (a few hundred KiB,
    well under the body limit) raises RecursionError, which would be a 500 for anyone, signed in or not. No real
    input comes near that depth, so catching it is enough; no depth has to be counted beforehand.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError() from None  # "Malformed request.", in DRF's own translations
