"""Injected failures: what a fault is, how ``/_sim/faults`` reads one, and what each kind answers.

Adding a fault kind is one function and one entry in :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django_ekyc.simulator.messages import Reply, api_error

Wait = Callable[[float], object]  # sleeps that many seconds, less if the simulator stops


@dataclass
class Fault:
    """An injected failure: ``count`` more matching calls get it (-1: until reset)."""

    action: str
    fault: str
    count: int = 1
    delay_ms: int = 0
    retry_after: int = 1000  # milliseconds, as the official SDK reads x-acs-retry-after
    code: str | None = None
    status: int | None = None
    message: str | None = None

    def matches(self, action: str) -> bool:
        return self.count != 0 and self.action in ("*", action)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


# -- what each kind answers: a reply, or None to answer normally ---------------------


def _slow(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    wait(fault.delay_ms / 1000)
    return None  # then answer normally, too late for a short timeout


def _drop(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    return Reply(0, drop=True)


def _malformed(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    return Reply(200, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")


def _throttle(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    headers = {"x-acs-retry-after": str(fault.retry_after)}
    return api_error(403, "Throttling.Api", "Request was denied due to api flow control.", request_id, **headers)


def _internal_error(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    return api_error(500, "InternalError", "An internal error occurred.", request_id)


def _unavailable(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    message = "The request has failed due to a temporary failure of the server."
    return api_error(503, "ServiceUnavailable", message, request_id)


def _error(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    return api_error(fault.status or 400, fault.code or "InternalError", fault.message or "Injected error.", request_id)


FaultReply = Callable[[Fault, str, Wait], Reply | None]

KINDS: dict[str, FaultReply] = {
    "throttle": _throttle,
    "internal_error": _internal_error,
    "unavailable": _unavailable,
    "slow": _slow,
    "malformed": _malformed,
    "drop": _drop,
    "error": _error,
}


def reply_for(fault: Fault, request_id: str, wait: Wait) -> Reply | None:
    """The answer a fault injects, or None to answer normally (after any delay it asks for)."""
    return KINDS[fault.fault](fault, request_id, wait)


def parse_fault(payload: Mapping[str, Any], actions: Collection[str]) -> Fault:
    """Read a ``POST /_sim/faults`` body; ``actions`` are the API's, to which ``*`` is added."""
    action, kind = payload.get("action", "*"), payload.get("fault")
    fault_actions = {*actions, "*"}
    if action not in fault_actions:
        raise ValueError(f"action must be one of {', '.join(sorted(fault_actions))}.")
    if kind not in KINDS:
        raise ValueError(f"fault must be one of {', '.join(sorted(KINDS))}.")
    numbers = {
        name: payload.get(name, default) for name, default in (("count", 1), ("delay_ms", 0), ("retry_after", 1000))
    }
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
        raise ValueError("count, delay_ms and retry_after must be integers.")
    if numbers["count"] == 0 or numbers["count"] < -1 or numbers["delay_ms"] < 0:
        raise ValueError("count must be positive (or -1 for every call); delay_ms must not be negative.")
    if kind == "error" and not isinstance(payload.get("code"), str):
        raise ValueError("An 'error' fault needs a 'code' (and optionally 'status' and 'message').")
    return Fault(
        action=action,
        fault=kind,
        count=numbers["count"],
        delay_ms=numbers["delay_ms"],
        retry_after=numbers["retry_after"],
        code=payload.get("code"),
        status=payload.get("status"),
        message=payload.get("message"),
    )
