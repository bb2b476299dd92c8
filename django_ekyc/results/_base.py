"""What every answer's parsing shares: JSON strings read defensively, answers frozen, scores read as numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

EMPTY: Mapping[str, Any] = MappingProxyType({})
# What a provider TransactionId looks like ("hks" and hex digits today); anything else is not stored.
TRANSACTION_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def parse_json_object(value: Any) -> Mapping[str, Any]:
    """Return a JSON object string as a read-only mapping; anything else as empty."""
    if isinstance(value, Mapping):
        return MappingProxyType(dict(value))
    if not isinstance(value, str) or not value.strip():
        return EMPTY
    try:
        parsed = json.loads(value)
    except ValueError:
        return EMPTY
    return MappingProxyType(parsed) if isinstance(parsed, dict) else EMPTY


def empty() -> Mapping[str, Any]:
    return EMPTY


def freeze(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(raw))


def float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
