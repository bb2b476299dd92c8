"""What the operation mixins need of the client they are mixed into: its one way to call, and its transport."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Caller(Protocol):
    def call(
        self, action: str, params: Mapping[str, str], *, idempotent: bool, product_code: str = ""
    ) -> dict[str, Any]: ...

    @property
    def transport(self) -> Any: ...
