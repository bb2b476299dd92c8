"""A JSON parser that refuses what would otherwise reach the code as a server error.

DRF's own parser lets a document nested a thousand levels deep raise ``RecursionError``, and hands on NUL
characters and lone surrogates that no database column can store. Both are a client's mistake (or attack):
they are answered 400 with a stable code before any view code runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from django_ekyc.validation import json_problem

MESSAGES = {
    "json_too_deep": _("The JSON body is nested too deeply."),
    "invalid_characters": _("The JSON body contains NUL or unpaired surrogate characters."),
}


class SafeJSONParser(JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(MESSAGES["json_too_deep"], code="json_too_deep") from None
        problem = json_problem(data)
        if problem:
            raise ParseError(MESSAGES[problem], code=problem)
        return data
