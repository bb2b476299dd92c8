"""Why the simulator refuses a request: the API's errors and the hosted flow's."""

from __future__ import annotations


class SimulatedApiError(Exception):
    """The provider API answers with an error: an HTTP status and the provider's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class HostedFlowError(Exception):
    """The hosted flow cannot go on: unknown, already used or already finished."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
