"""How the simulator refuses a parameter, in the provider's words: a missing one, or one that is not valid."""

from __future__ import annotations

from collections.abc import Mapping

from django_ekyc.simulator.errors import SimulatedApiError


def invalid(name: str, detail: str = "") -> SimulatedApiError:
    message = f'The specified parameter "{name}" is not valid.' + (f" {detail}" if detail else "")
    return SimulatedApiError(400, "InvalidParameter", message)


def required(params: Mapping[str, str], *names: str) -> None:
    for name in names:
        if not params.get(name, "").strip():
            message = f'The input parameter "{name}" that is mandatory for processing this request is not supplied.'
            raise SimulatedApiError(400, "MissingParameter", message)
