"""Whether a value fits a declared parameter: its allowed values, length and form (pure; the client and the site's
validation both ask it, so the two cannot disagree)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol


class Constrained(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def choices(self) -> frozenset[str] | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def json_object(self) -> bool: ...


class Declared(Protocol):
    @property
    def action(self) -> str: ...

    @property
    def parameters(self) -> Mapping[str, Any]: ...

    def unknown(self, names: Iterable[str]) -> list[str]: ...

    def missing(self, params: Mapping[str, str]) -> list[str]: ...


def operation_problems(declared: Declared, params: Mapping[str, str]) -> list[str]:
    """What keeps ``params`` from being sent as ``declared``: undeclared names, required ones left out, values the
    provider does not allow. Empty when they may be sent."""
    problems = [f"{name} is not a parameter of {declared.action}" for name in declared.unknown(params)]
    missing = declared.missing(params)
    if missing:
        problems.append(f"required parameter(s) missing: {', '.join(missing)}")
    for name, value in params.items():
        parameter = declared.parameters.get(name)
        problem = value_problem(parameter, str(value)) if parameter is not None else None
        if problem:
            problems.append(problem)
    return problems


def value_problem(parameter: Constrained, value: str) -> str | None:
    """Why ``value`` cannot be sent as ``parameter``, in words, or None."""
    if parameter.choices is not None and value not in parameter.choices:
        return f"{parameter.name} must be one of {', '.join(sorted(parameter.choices))}"
    if parameter.max_length is not None and len(value) > parameter.max_length:
        return f"{parameter.name} is longer than {parameter.max_length} characters"
    if parameter.pattern is not None and not re.fullmatch(parameter.pattern, value):
        return f"{parameter.name} does not have the form the provider takes ({parameter.pattern})"
    if parameter.json_object and not _is_json_object(value):
        return f"{parameter.name} must be a JSON object"
    return None


def _is_json_object(value: str) -> bool:
    try:
        return isinstance(json.loads(value), dict)
    except (ValueError, RecursionError):
        return False
