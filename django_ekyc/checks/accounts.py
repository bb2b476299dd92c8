"""Checks of the provider accounts: E010 (the shape of ``ACCOUNTS``), E011 (``ACCOUNT_RESOLVER``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string

from django_ekyc.conf import EkycSettings

ACCOUNT_KEYS = frozenset(
    {"ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "REGION", "ENDPOINT", "RATE_LIMIT_GROUP", "RATE_LIMIT", "CREDENTIALS"}
)
REQUIRED_KEYS = ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET")


def check(ekyc: EkycSettings) -> list[CheckMessage]:
    return [*_accounts(ekyc.ACCOUNTS), *_resolver(ekyc.ACCOUNT_RESOLVER)]


def _accounts(accounts: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name, config in accounts.items():
        problem = _account_problem(name, config)
        if problem:
            hint = (
                f"Each account is a dict with {', '.join(REQUIRED_KEYS)} (strings) or CREDENTIALS (a credentials "
                "provider), and optionally " + ", ".join(sorted(ACCOUNT_KEYS - {*REQUIRED_KEYS, "CREDENTIALS"}))
            )
            messages.append(Error(f"EKYC ACCOUNTS[{name!r}] {problem}.", hint=hint + ".", id="django_ekyc.E010"))
    return messages


def _account_problem(name: Any, config: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return "needs a non-empty string name ('' is the top-level account)"
    if not isinstance(config, Mapping):
        return f"must be a dict, not {type(config).__name__}"
    unknown = sorted(set(config) - ACCOUNT_KEYS)
    if unknown:
        return f"has unknown keys: {', '.join(map(str, unknown))}"
    missing = [key for key in REQUIRED_KEYS if not isinstance(config.get(key), str) or not config.get(key)]
    if missing and config.get("CREDENTIALS") is None:  # a credentials provider signs instead (E023 checks it)
        return f"needs {', '.join(missing)} or CREDENTIALS"
    wrong = sorted(key for key, value in config.items() if key != "CREDENTIALS" and not _fits(key, value))
    return f"has values that are not strings: {', '.join(wrong)}" if wrong else None


def _fits(key: str, value: Any) -> bool:
    return isinstance(value, int if key == "RATE_LIMIT" else str)


def _resolver(resolver: Any) -> list[CheckMessage]:
    if resolver is None or callable(resolver):
        return []
    try:
        function = import_string(resolver)
    except ImportError as err:
        return [Error(f"EKYC ACCOUNT_RESOLVER {resolver!r} does not import: {err}", id="django_ekyc.E011")]
    if not callable(function):
        return [Error(f"EKYC ACCOUNT_RESOLVER {resolver!r} is not callable.", id="django_ekyc.E011")]
    return []
