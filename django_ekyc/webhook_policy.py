"""``EKYC["WEBHOOKS"]``: the site's webhook endpoints, each with its own signing secret, the event types it takes
and whether it may receive identity data; cleaned into :class:`WebhookPolicy`. See ``docs/webhooks.md``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from django_ekyc.exceptions import EkycConfigurationError
from django_ekyc.setting import Setting

# Every event type the outbox writes (docs/webhooks.md documents each one's payload).
EVENT_TYPES = (
    "verification.initialized",
    "verification.passed",
    "verification.failed",
    "verification.error",
    "verification.expired",
    "verification.face",
    "verification.reviewed",
    "verification.purged",
    "verification.legal_hold",
    "person.relationship_ended",
    "person.erased",
)
WEBHOOKS_HELP = (
    "The webhook ENDPOINTS (URL, SECRET, EVENTS, INCLUDE_IDENTITY) the outbox delivers to, and TIMEOUT, "
    "MAX_BACKOFF, LEASE (seconds), KEEP_DAYS: see the webhooks docs."
)
ENDPOINT_KEYS = frozenset({"URL", "SECRET", "EVENTS", "INCLUDE_IDENTITY"})
KEYS = frozenset({"ENDPOINTS", "TIMEOUT", "MAX_BACKOFF", "LEASE", "KEEP_DAYS"})


@dataclass(frozen=True)
class Endpoint:
    """One receiver: where, the secret it checks signatures with, what it takes."""

    name: str
    url: str
    secret: str = field(repr=False)  # never in a repr, a log or the admin
    events: frozenset[str] = frozenset(EVENT_TYPES)
    include_identity: bool = False

    def takes(self, event_type: str) -> bool:
        return event_type in self.events


@dataclass(frozen=True)
class WebhookPolicy:
    endpoints: Mapping[str, Endpoint] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float = 10.0  # seconds for one delivery
    max_backoff: float = 3600.0  # the longest wait between two attempts
    lease: float = 60.0  # how long a claimed delivery is the worker's before another may try it
    keep_days: int = 30  # delivered events are deleted after this many days

    def taking(self, event_type: str) -> list[Endpoint]:
        return [endpoint for endpoint in self.endpoints.values() if endpoint.takes(event_type)]


def clean_webhooks(value: Any) -> WebhookPolicy:
    if isinstance(value, WebhookPolicy):
        return value
    unknown = sorted(set(value) - KEYS)
    if unknown:
        raise EkycConfigurationError(f"Unknown key(s) in EKYC['WEBHOOKS']: {', '.join(unknown)}.")
    endpoints = value.get("ENDPOINTS", {})
    if not isinstance(endpoints, Mapping):
        raise EkycConfigurationError("EKYC['WEBHOOKS']['ENDPOINTS'] must map endpoint names to their settings.")
    numbers = {}
    for key, default in (("TIMEOUT", 10.0), ("MAX_BACKOFF", 3600.0), ("LEASE", 60.0), ("KEEP_DAYS", 30)):
        number = value.get(key, default)
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number <= 0:
            raise EkycConfigurationError(f"EKYC['WEBHOOKS']['{key}'] must be a positive number.")
        numbers[key] = number
    return WebhookPolicy(
        endpoints=MappingProxyType({str(name): _endpoint(str(name), given) for name, given in endpoints.items()}),
        timeout=float(numbers["TIMEOUT"]),
        max_backoff=float(numbers["MAX_BACKOFF"]),
        lease=float(numbers["LEASE"]),
        keep_days=int(numbers["KEEP_DAYS"]),
    )


def _endpoint(name: str, given: Any) -> Endpoint:
    where = f"EKYC['WEBHOOKS']['ENDPOINTS']['{name}']"
    if not isinstance(given, Mapping):
        raise EkycConfigurationError(f"{where} must be a dict with URL and SECRET.")
    unknown = sorted(set(given) - ENDPOINT_KEYS)
    if unknown:
        raise EkycConfigurationError(f"Unknown key(s) in {where}: {', '.join(unknown)}.")
    url, secret = given.get("URL"), given.get("SECRET")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise EkycConfigurationError(f"{where}['URL'] must be an http(s) URL.")
    if not isinstance(secret, str) or len(secret) < 16:
        raise EkycConfigurationError(f"{where}['SECRET'] must be a string of 16 characters or more.")
    events = given.get("EVENTS", EVENT_TYPES)
    if isinstance(events, str) or not all(isinstance(item, str) for item in events):
        raise EkycConfigurationError(f"{where}['EVENTS'] must be a list of event types.")
    unknown_types = sorted(set(events) - set(EVENT_TYPES))
    if unknown_types:
        raise EkycConfigurationError(f"Unknown event type(s) in {where}['EVENTS']: {', '.join(unknown_types)}.")
    include = given.get("INCLUDE_IDENTITY", False)
    if not isinstance(include, bool):
        raise EkycConfigurationError(f"{where}['INCLUDE_IDENTITY'] must be True or False.")
    return Endpoint(name, url, secret, frozenset(events), include)


def webhooks_setting() -> Setting[WebhookPolicy]:
    """The setting as ``EkycSettings`` declares it (a dict, cleaned into a :class:`WebhookPolicy`)."""
    return Setting[WebhookPolicy]({}, (Mapping, WebhookPolicy), WEBHOOKS_HELP, clean=clean_webhooks)  # type: ignore[arg-type]
