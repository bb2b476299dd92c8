"""Every operation of the API, declared once: read from ``operations.json``, which ``scripts/sdk_catalogue.py``
writes from the official SDK (names, query or body, required flags, kinds, result fields), merged with what people
annotate in :mod:`~django_ekyc.catalogue.annotations` (allowed values, who decides each parameter).

The runtime never imports the SDK; a test reads the installed SDK and fails on any difference with this table.
The client builds, checks and places any declared operation from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from django_ekyc.catalogue.annotations import ANNOTATIONS, Annotation, Role

__all__ = ["OPERATIONS", "Operation", "Parameter", "operation"]

Location = Literal["query", "body"]


@dataclass(frozen=True)
class Parameter:
    name: str  # the API's name: MerchantBizId
    python_name: str  # the SDK's: merchant_biz_id
    location: Location
    required: bool  # the SDK's flag, or the provider's pages' (an annotation)
    kind: str  # string, integer, boolean, number, or json (a list or object sent as a JSON string)
    role: Role = Role.SITE
    choices: frozenset[str] | None = None
    max_length: int | None = None
    pattern: str | None = None
    json_object: bool = False


@dataclass(frozen=True)
class Operation:
    action: str
    python_name: str
    parameters: Mapping[str, Parameter]
    result_fields: tuple[str, ...]
    sends_body: bool  # the SDK sends a form body (possibly empty) with every call

    def place(self, params: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str] | None]:
        """Split parameters into (query, form body or None) as the SDK does."""
        query = {name: value for name, value in params.items() if self._location(name) == "query"}
        if not self.sends_body:
            return {**query, **{name: value for name, value in params.items() if name not in query}}, None
        return query, {name: value for name, value in params.items() if name not in query}

    def unknown(self, names: Iterable[str]) -> list[str]:
        """The names this operation does not declare."""
        return sorted(name for name in names if name not in self.parameters)

    def missing(self, params: Mapping[str, str]) -> list[str]:
        """The required parameters absent or blank in ``params``."""
        return sorted(
            name
            for name, parameter in self.parameters.items()
            if parameter.required and str(params.get(name) or "").strip() == ""
        )

    def _location(self, name: str) -> Location:
        parameter = self.parameters.get(name)
        return parameter.location if parameter is not None else "query"


def _parameter(name: str, fact: Mapping[str, Any], note: Annotation | None) -> Parameter:
    note = note or Annotation()
    return Parameter(
        name=name,
        python_name=str(fact["python_name"]),
        location="body" if fact["location"] == "body" else "query",
        required=bool(fact["required"]) or bool(note.required),
        kind=str(fact["kind"]),
        role=note.role,
        choices=note.choices,
        max_length=note.max_length,
        pattern=note.pattern,
        json_object=note.json_object,
    )


def _load() -> Mapping[str, Operation]:
    table = json.loads(resources.files(__package__).joinpath("operations.json").read_text(encoding="utf-8"))
    declared: dict[str, Operation] = {}
    for action, facts in table["operations"].items():
        notes = ANNOTATIONS.get(action, {})
        parameters = {name: _parameter(name, fact, notes.get(name)) for name, fact in facts["parameters"].items()}
        declared[action] = Operation(
            action=action,
            python_name=str(facts["python_name"]),
            parameters=MappingProxyType(parameters),
            result_fields=tuple(facts["result_fields"]),
            sends_body=bool(facts["sends_body"]),
        )
    return MappingProxyType(declared)


OPERATIONS: Mapping[str, Operation] = _load()
API_VERSION = "2022-08-09"


def operation(action: str) -> Operation:
    """The declared operation named ``action`` (``KeyError`` says which names exist when it is not one)."""
    try:
        return OPERATIONS[action]
    except KeyError:
        raise KeyError(f"{action!r} is not an operation of cloudauth-intl {API_VERSION}") from None
